import { Actor, AppError, CaseChange, Channel, Events, RespondToCaseCommand } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { Scope } from '@sladesk/persistence';
import { scopeOf } from '../../common/scope';
import { Outgoing } from '../../channels/delivery/outgoing';
import { StaffRepository } from '../../staff/staff.repository';
import { AppliedChange, CaseChanges, keySource, ChangeSource, toCaseChange } from '../case-changes.service';
import { entry, statusChange } from '../transitions';

export interface Response {
  caseId: string;
  by: Actor;
  text: string;
  at: Date;
  /** Where the response was given; a response given in SLA Desk is sent on the case's channel. */
  givenIn: 'api' | 'intercom';
  intercomAdminId?: string;
  /** The caller's account, for an account-scoped caller. */
  scope?: Scope;
}

/** Our response to the customer: the first one is the case's first response; a new case becomes open. */
@Injectable()
export class RespondToCaseService {
  constructor(
    private readonly changes: CaseChanges,
    private readonly staff: StaffRepository,
    private readonly outgoing: Outgoing,
  ) {}

  async execute(cmd: RespondToCaseCommand, now = new Date()): Promise<CaseChange> {
    const member = await this.staff.get(cmd.by);
    const { caseId, idempotencyKey, scope, ...body } = cmd;
    const applied = await this.respond(
      {
        caseId,
        by: { kind: 'staff', id: member._id, name: member.name },
        text: cmd.text,
        at: cmd.at ? new Date(cmd.at) : now,
        givenIn: 'api',
        intercomAdminId: member.intercomAdminId,
        scope: scopeOf(scope),
      },
      keySource(idempotencyKey, body),
      now,
    );
    return toCaseChange(applied);
  }

  respond(r: Response, source: ChangeSource | undefined, now = new Date()): Promise<AppliedChange> {
    return this.changes.apply(
      r.caseId,
      (c) => {
        if (c.status === 'closed')
          throw new AppError('CASE.INVALID_TRANSITION', `Case ${c._id} is closed: reopen it to respond`);
        const first = !c.firstResponse;
        const outbound =
          r.givenIn === 'api'
            ? this.outgoing.response(c, r.text, now, r.intercomAdminId)
            : { deliveries: [], emailMessageIds: [] };
        const channel: Channel =
          r.givenIn === 'intercom' ? 'intercom' : outbound.deliveries.length ? c.channel : 'api';
        const opened = c.status === 'new' ? statusChange(c, 'open', r.by, r.at) : undefined;
        return {
          entries: [
            entry('response', r.at, r.by, r.text, { channel, first }),
            ...(opened ? [opened.entry] : []),
          ],
          set: {
            ...(first ? { firstResponse: { at: r.at, by: r.by } } : {}),
            ...(opened ? { status: 'open' } : {}),
          },
          events: [
            outboxEvent(
              Events.CaseResponded,
              { caseId: c._id, accountId: c.accountId, at: r.at.toISOString(), by: r.by, first, channel },
              now,
            ),
            ...(opened ? [opened.event] : []),
          ],
          deliveries: outbound.deliveries,
          emailMessageIds: outbound.emailMessageIds,
        };
      },
      source,
      now,
      r.scope,
    );
  }
}
