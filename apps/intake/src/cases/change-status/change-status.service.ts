import { AppError, CaseChange, ChangeCaseStatusCommand } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { scopeOf } from '../../common/scope';
import { StaffRepository } from '../../staff/staff.repository';
import { CaseChanges, keySource, toCaseChange } from '../case-changes.service';
import { assertMove } from '../case-status';
import { statusChange } from '../transitions';

/** open ↔ waiting_on_customer (which pauses the SLA clock), new → open, resolved → closed. */
@Injectable()
export class ChangeStatusService {
  constructor(
    private readonly changes: CaseChanges,
    private readonly staff: StaffRepository,
  ) {}

  async execute(cmd: ChangeCaseStatusCommand, now = new Date()): Promise<CaseChange> {
    const by = await this.staff.actor(cmd.by);
    const { caseId, idempotencyKey, scope, ...body } = cmd;
    const applied = await this.changes.apply(
      caseId,
      (c) => {
        if (cmd.to === 'open' && (c.status === 'resolved' || c.status === 'closed')) {
          throw new AppError(
            'CASE.INVALID_TRANSITION',
            `Case ${c._id} is ${c.status}: reopen it with POST /v1/cases/${c._id}/reopen`,
          );
        }
        assertMove(c.status, cmd.to);
        const change = statusChange(c, cmd.to, by, now, cmd.reason);
        return { entries: [change.entry], set: { status: cmd.to }, events: [change.event] };
      },
      keySource(idempotencyKey, body),
      now,
      scopeOf(scope),
    );
    return toCaseChange(applied);
  }
}
