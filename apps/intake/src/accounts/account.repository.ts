import { AppError } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { Account } from './account.schema';

const PROJECTION = { outbox: 0 };

@Injectable()
export class AccountRepository {
  /** Accounts are never deleted, so an id once seen stays valid: case creation skips the lookup. */
  private readonly known = new Set<string>();

  constructor(@InjectModel(Account.name) readonly model: Model<Account>) {}

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

  findByIdempotencyScope(scope: string): Promise<Account | null> {
    return this.model.findOne({ idempotencyScope: scope }, PROJECTION).lean<Account>();
  }

  /** The account a sender writes for: one of its contacts, else its email domain. */
  async findBySender(email: string): Promise<Account | null> {
    const address = email.toLowerCase();
    const byContact = await this.model.findOne({ 'contacts.email': address }, PROJECTION).lean<Account>();
    if (byContact) return byContact;
    const domain = address.slice(address.lastIndexOf('@') + 1);
    return domain ? this.model.findOne({ emailDomains: domain }, PROJECTION).lean<Account>() : null;
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
