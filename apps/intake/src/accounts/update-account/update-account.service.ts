import { AccountView, Events, UpdateAccountCommand } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { updateVersioned } from '../../common/versioned-update';
import { StaffRepository } from '../../staff/staff.repository';
import { AccountRepository } from '../account.repository';
import { toAccountView } from '../account.schema';
import { assertCsm } from '../csm';

/** Changes an account and announces the whole new state (`account.updated`); no change, no event. */
@Injectable()
export class UpdateAccountService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly staff: StaffRepository,
    private readonly relay: OutboxRelay,
  ) {}

  async execute(cmd: UpdateAccountCommand, now = new Date()): Promise<AccountView> {
    if (cmd.csmId) await assertCsm(this.staff, cmd.csmId);
    await this.accounts.indexSenders(cmd.id, cmd.contacts ?? [], cmd.emailDomains ?? []);
    const { doc, changed } = await updateVersioned(
      this.accounts.model,
      () => this.accounts.get(cmd.id),
      () => ({
        set: {
          ...(cmd.name !== undefined ? { name: cmd.name } : {}),
          ...(cmd.timeZone !== undefined ? { timeZone: cmd.timeZone } : {}),
          ...(cmd.csmId ? { csmId: cmd.csmId } : {}),
          ...(cmd.contacts
            ? { contacts: cmd.contacts.map((c) => ({ name: c.name, email: c.email.toLowerCase() })) }
            : {}),
          ...(cmd.emailDomains ? { emailDomains: cmd.emailDomains.map((d) => d.toLowerCase()) } : {}),
        },
        unset: cmd.csmId === null ? ['csmId'] : [],
      }),
      (next) => outboxEvent(Events.AccountUpdated, toAccountView(next), now),
      now,
    );
    if (changed) this.relay.published(this.accounts.model, doc._id);
    return toAccountView(doc);
  }
}
