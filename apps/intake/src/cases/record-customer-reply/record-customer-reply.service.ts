import { AppError, CaseChange, Channel, Events, RecordCustomerReplyCommand } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { Scope } from '@sladesk/persistence';
import { scopeOf } from '../../common/scope';
import { AppliedChange, CaseChanges, keySource, ChangeSource, toCaseChange } from '../case-changes.service';
import { Attachment } from '../case.schema';
import { combine, entry, reopen, statusChange } from '../transitions';

export interface CustomerReply {
  caseId: string;
  /** Who wrote, when it is not the case's contact (another person of the account). */
  from?: { name: string; email: string };
  text: string;
  at: Date;
  channel: Channel;
  attachments?: Attachment[];
  /** The mail's Message-ID, added to the case's thread. */
  emailMessageId?: string;
  /** The caller's account, for an account-scoped caller. */
  scope?: Scope;
}

/**
 * A message from the customer: it answers a question (waiting_on_customer → open, which resumes a
 * paused clock) or, on a resolved case, reopens it. A closed case takes no replies.
 */
@Injectable()
export class RecordCustomerReplyService {
  constructor(private readonly changes: CaseChanges) {}

  async execute(cmd: RecordCustomerReplyCommand, now = new Date()): Promise<CaseChange> {
    const { caseId, idempotencyKey, scope, ...body } = cmd;
    const applied = await this.record(
      { caseId, text: cmd.text, at: cmd.at ? new Date(cmd.at) : now, channel: 'api', scope: scopeOf(scope) },
      keySource(idempotencyKey, body),
      now,
    );
    return toCaseChange(applied);
  }

  record(r: CustomerReply, source: ChangeSource | undefined, now = new Date()): Promise<AppliedChange> {
    return this.changes.apply(
      r.caseId,
      (c) => {
        if (c.status === 'closed')
          throw new AppError('CASE.INVALID_TRANSITION', `Case ${c._id} is closed; open a new case`);
        const from = r.from ?? c.contact;
        const by = { kind: 'contact' as const, name: from.name };
        const reply = {
          entries: [
            {
              ...entry('customer_reply', r.at, by, r.text, {
                channel: r.channel,
                email: from.email.toLowerCase(),
              }),
              ...(r.attachments?.length ? { attachments: r.attachments } : {}),
            },
          ],
          events: [
            outboxEvent(
              Events.CaseCustomerReplied,
              { caseId: c._id, accountId: c.accountId, at: r.at.toISOString(), channel: r.channel },
              now,
            ),
          ],
        };
        const thread = r.emailMessageId ? { emailMessageIds: [r.emailMessageId] } : {};
        if (c.status === 'resolved')
          return { ...combine(reply, reopen(c, by, r.at, 'The customer wrote again')), ...thread };
        if (c.status === 'waiting_on_customer') {
          const resumed = statusChange(c, 'open', by, r.at, 'The customer answered');
          return {
            ...combine(reply, { entries: [resumed.entry], set: { status: 'open' }, events: [resumed.event] }),
            ...thread,
          };
        }
        return { ...combine(reply), ...thread };
      },
      source,
      now,
      r.scope,
    );
  }
}
