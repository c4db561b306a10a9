import { AppError, CaseChange, Events, ReclassifyCaseCommand } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { scopeOf } from '../../common/scope';
import { StaffRepository } from '../../staff/staff.repository';
import { CaseChanges, keySource, toCaseChange } from '../case-changes.service';
import { entry } from '../transitions';

/** A person overrides severity and/or category; the reason is kept, and SLA goals follow the new values. */
@Injectable()
export class ReclassifyCaseService {
  constructor(
    private readonly changes: CaseChanges,
    private readonly staff: StaffRepository,
  ) {}

  async execute(cmd: ReclassifyCaseCommand, now = new Date()): Promise<CaseChange> {
    const by = await this.staff.actor(cmd.by);
    const { caseId, idempotencyKey, scope, ...body } = cmd;
    const applied = await this.changes.apply(
      caseId,
      (c) => {
        const severity = cmd.severity ?? c.severity;
        const category = cmd.category ?? c.category;
        if (severity === c.severity && category === c.category) {
          throw new AppError('CASE.INVALID_TRANSITION', `Case ${c._id} already is ${severity} / ${category}`);
        }
        const why = { source: 'explicit', rule: `reclassified by ${by.name}` };
        return {
          entries: [
            entry('reclassified', now, by, cmd.reason, {
              severity,
              category,
              previousSeverity: c.severity,
              previousCategory: c.category,
            }),
          ],
          set: {
            severity,
            category,
            ...(severity !== c.severity ? { 'classification.severity': why } : {}),
            ...(category !== c.category ? { 'classification.category': why } : {}),
          },
          events: [
            outboxEvent(
              Events.CaseReclassified,
              {
                caseId: c._id,
                accountId: c.accountId,
                at: now.toISOString(),
                severity,
                category,
                previousSeverity: c.severity,
                previousCategory: c.category,
                reason: cmd.reason,
              },
              now,
            ),
          ],
        };
      },
      keySource(idempotencyKey, body),
      now,
      scopeOf(scope),
    );
    return toCaseChange(applied);
  }
}
