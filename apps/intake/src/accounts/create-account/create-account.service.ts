import { AccountView, AppError, CreateAccountCommand, Events } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { isDuplicateKey, requestHash } from '../../common/request-hash';
import { StaffRepository } from '../../staff/staff.repository';
import { AccountRepository } from '../account.repository';
import { Account, toAccountView } from '../account.schema';
import { assertCsm } from '../csm';

/** Registers a customer account and announces it (`account.created`) with all its data. */
@Injectable()
export class CreateAccountService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly staff: StaffRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async execute(cmd: CreateAccountCommand, now = new Date()): Promise<AccountView> {
    const { idempotencyKey, ...body } = cmd;
    const hash = requestHash(body);
    const scope = idempotencyKey ? `key:${idempotencyKey}` : undefined;
    if (scope) {
      const earlier = await this.accounts.findByIdempotencyScope(scope);
      if (earlier) return replay(earlier, hash);
    }
    if (cmd.csmId) await assertCsm(this.staff, cmd.csmId);

    const id = scope ? await this.accounts.claimIdempotencyScope(scope, cmd.id ?? uuidv7()) : (cmd.id ?? uuidv7());
    const account: Omit<Account, 'outbox'> = {
      _id: id,
      name: cmd.name,
      timeZone: cmd.timeZone,
      ...(cmd.csmId ? { csmId: cmd.csmId } : {}),
      contacts: (cmd.contacts ?? []).map((c) => ({ name: c.name, email: c.email.toLowerCase() })),
      emailDomains: (cmd.emailDomains ?? []).map((d) => d.toLowerCase()),
      version: 1,
      idempotencyScope: scope ?? `id:${id}`,
      requestHash: hash,
      createdAt: now,
      updatedAt: now,
    };
    await this.accounts.indexSenders(id, account.contacts, account.emailDomains);
    try {
      await this.accounts.model.create({
        ...account,
        outbox: [outboxEvent(Events.AccountCreated, toAccountView(account as Account), now)],
      });
      this.relay.published(this.accounts.model, id);
      return toAccountView(account as Account);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const winner = scope ? await this.accounts.findByIdempotencyScope(scope) : null;
      if (winner) return replay(winner, hash);
      throw new AppError('ACCOUNT.ALREADY_EXISTS', `Account ${id} already exists`);
    }
  }
}

function replay(earlier: Account, hash: string): AccountView {
  if (earlier.requestHash !== hash)
    throw new AppError(
      'IDEMPOTENCY.KEY_REUSED',
      'This Idempotency-Key was already used for a different request',
    );
  return toAccountView(earlier);
}
