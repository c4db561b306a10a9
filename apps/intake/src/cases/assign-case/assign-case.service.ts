import { AppError, AssignCaseCommand, CaseChange, Events } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { scopeOf } from '../../common/scope';
import { StaffRepository } from '../../staff/staff.repository';
import { CaseChanges, keySource, toCaseChange } from '../case-changes.service';
import { entry } from '../transitions';

/** Gives the case to an active staff member, or to nobody (`assigneeId: null`). */
@Injectable()
export class AssignCaseService {
  constructor(
    private readonly changes: CaseChanges,
    private readonly staff: StaffRepository,
  ) {}

  async execute(cmd: AssignCaseCommand, now = new Date()): Promise<CaseChange> {
    const by = await this.staff.actor(cmd.by);
    const assignee = cmd.assigneeId ? await this.staff.get(cmd.assigneeId) : undefined;
    if (assignee && !assignee.active)
      throw new AppError('STAFF.ROLE_MISSING', `Staff member ${assignee._id} is inactive`);
    const { caseId, idempotencyKey, scope, ...body } = cmd;
    const applied = await this.changes.apply(
      caseId,
      (c) => {
        if ((c.assigneeId ?? null) === (cmd.assigneeId ?? null)) {
          throw new AppError(
            'CASE.INVALID_TRANSITION',
            `Case ${c._id} is already ${assignee ? `assigned to ${assignee._id}` : 'unassigned'}`,
          );
        }
        return {
          entries: [
            entry('assigned', now, by, assignee ? `Assigned to ${assignee.name}` : 'Unassigned', {
              assigneeId: assignee?._id ?? null,
              previousAssigneeId: c.assigneeId ?? null,
            }),
          ],
          ...(assignee ? { set: { assigneeId: assignee._id, assignedAt: now } } : { set: { assignedAt: now }, unset: ['assigneeId'] }),
          events: [
            outboxEvent(
              Events.CaseAssigned,
              {
                caseId: c._id,
                accountId: c.accountId,
                at: now.toISOString(),
                by,
                ...(assignee ? { assigneeId: assignee._id } : {}),
                ...(c.assigneeId ? { previousAssigneeId: c.assigneeId } : {}),
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
