import { AppError, CaseChange, ReopenCaseCommand } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { scopeOf } from '../../common/scope';
import { StaffRepository } from '../../staff/staff.repository';
import { CaseChanges, keySource, toCaseChange } from '../case-changes.service';
import { combine, reopen } from '../transitions';

/** A resolved or closed case goes back to open; the count of reopenings feeds the escalation rules. */
@Injectable()
export class ReopenCaseService {
  constructor(
    private readonly changes: CaseChanges,
    private readonly staff: StaffRepository,
  ) {}

  async execute(cmd: ReopenCaseCommand, now = new Date()): Promise<CaseChange> {
    const by = await this.staff.actor(cmd.by);
    const { caseId, idempotencyKey, scope, ...body } = cmd;
    const applied = await this.changes.apply(
      caseId,
      (c) => {
        if (c.status !== 'resolved' && c.status !== 'closed') {
          throw new AppError(
            'CASE.INVALID_TRANSITION',
            `Case ${c._id} is ${c.status}; only a resolved or closed case can be reopened`,
          );
        }
        return combine(reopen(c, by, now, cmd.reason));
      },
      keySource(idempotencyKey, body),
      now,
      scopeOf(scope),
    );
    return toCaseChange(applied);
  }
}
