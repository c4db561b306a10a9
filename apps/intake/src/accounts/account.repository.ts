import { AppError } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { Keys } from '../common/keys';
import { Account } from './account.schema';

const PROJECTION = { outbox: 0 };

@Injectable()
export class AccountRepository {
  /** Accounts are never deleted, so an id once seen stays valid: case creation skips the lookup. */
  private readonly known = new Set<string>();

  constructor(
    @InjectModel(Account.name) readonly model: Model<Account>,
    private readonly keys: Keys,
  ) {}

  findById(id: string): Promise<Account | null> {
    return this.model.findById(id, PROJECTION).lean<Account>();
  }

  async get(id: string): Promise<Account> {
    const found = await this.findById(id);
    if (!found) throw new AppError('ACCOUNT.NOT_FOUND', `Account ${id} does not exist`);
    this.known.add(id);
    return found;
  }

  async assertExists(id: string): Promise<void> {
    if (!this.known.has(id)) await this.get(id);
  }

  /** The account an Idempotency-Key created, through its key document. */
  async findByIdempotencyScope(scope: string): Promise<Account | null> {
    const key = await this.keys.get('scope', `account|${scope}`);
    return key?.accountId ? this.findById(key.accountId) : null;
  }

  /** Records which account a creation's Idempotency-Key stands for, before the account is written. */
  claimIdempotencyScope(scope: string, accountId: string): Promise<string> {
    return this.keys.claim('scope', `account|${scope}`, { accountId }).then((r) => r.key.accountId!);
  }

  /** Makes an account's contacts and domains findable by `findBySender`; call before writing them. */
  async indexSenders(accountId: string, contacts: { email: string }[], domains: string[]): Promise<void> {
    await Promise.all([
      ...contacts.map((c) => this.keys.put('account-email', c.email.toLowerCase(), { accountId })),
      ...domains.map((d) => this.keys.put('account-domain', d.toLowerCase(), { accountId })),
    ]);
  }

  /** The account a sender writes for: one of its contacts, else its email domain. */
  async findBySender(email: string): Promise<Account | null> {
    const address = email.toLowerCase();
    const domain = address.slice(address.lastIndexOf('@') + 1);
    for (const [kind, value] of [['account-email', address], ['account-domain', domain]] as const) {
      if (!value) continue;
      const key = await this.keys.get(kind, value);
      const account = key?.accountId ? await this.findById(key.accountId) : null;
      // The key may be stale (the address moved to another account or was removed): the account decides.
      if (account && (kind === 'account-email' ? account.contacts.some((c) => c.email === address) : account.emailDomains.includes(domain))) {
        return account;
      }
    }
    return null;
  }

  list(afterId: string | undefined, limit: number): Promise<Account[]> {
    const q = afterId ? { _id: mongoose.trusted({ $gt: afterId }) } : {};
    return this.model.find(q, PROJECTION).sort({ _id: 1 }).limit(limit).lean<Account[]>();
  }
}

/** Whether `email` may write on behalf of `account`. */
export function speaksFor(account: Pick<Account, 'contacts' | 'emailDomains'>, email: string): boolean {
  const address = email.toLowerCase();
  return (
    account.contacts.some((c) => c.email === address) ||
    account.emailDomains.includes(address.slice(address.lastIndexOf('@') + 1))
  );
}
