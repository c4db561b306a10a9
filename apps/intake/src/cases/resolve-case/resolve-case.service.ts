import { Actor, CaseChange, Events, ResolveCaseCommand } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { Scope } from '@sladesk/persistence';
import { scopeOf } from '../../common/scope';
import { StaffRepository } from '../../staff/staff.repository';
import { AppliedChange, CaseChanges, ChangeSource, keySource, toCaseChange } from '../case-changes.service';
import { assertMove } from '../case-status';
import { entry, statusChange } from '../transitions';

export interface Resolution {
  caseId: string;
  by: Actor;
  summary: string;
  at: Date;
  /** The caller's account, for an account-scoped caller. */
  scope?: Scope;
}

/** Records the resolution (when, who, how) and announces it: `status-changed` to resolved, then `resolved`. */
@Injectable()
export class ResolveCaseService {
  constructor(
    private readonly changes: CaseChanges,
    private readonly staff: StaffRepository,
  ) {}

  async execute(cmd: ResolveCaseCommand, now = new Date()): Promise<CaseChange> {
    const by = await this.staff.actor(cmd.by);
    const { caseId, idempotencyKey, scope, ...body } = cmd;
    const applied = await this.resolve(
      { caseId, by, summary: cmd.summary, at: cmd.at ? new Date(cmd.at) : now, scope: scopeOf(scope) },
      keySource(idempotencyKey, body),
      now,
    );
    return toCaseChange(applied);
  }

  resolve(r: Resolution, source: ChangeSource | undefined, now = new Date()): Promise<AppliedChange> {
    return this.changes.apply(
      r.caseId,
      (c) => {
        assertMove(c.status, 'resolved');
        const change = statusChange(c, 'resolved', r.by, r.at);
        return {
          entries: [entry('resolved', r.at, r.by, r.summary, { from: c.status })],
          set: { status: 'resolved', resolution: { at: r.at, by: r.by, summary: r.summary } },
          events: [
            change.event,
            outboxEvent(
              Events.CaseResolved,
              { caseId: c._id, accountId: c.accountId, at: r.at.toISOString(), by: r.by },
              now,
            ),
          ],
        };
      },
      source,
      now,
      r.scope,
    );
  }
}
