import { AddCaseActionCommand, CaseChange, Events } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { scopeOf } from '../../common/scope';
import { StaffRepository } from '../../staff/staff.repository';
import { CaseChanges, keySource, toCaseChange } from '../case-changes.service';
import { entry } from '../transitions';

/** Internal work on a case: a note, a step taken, an escalation, or the analysis (which becomes the case's analysis). */
@Injectable()
export class AddActionService {
  constructor(
    private readonly changes: CaseChanges,
    private readonly staff: StaffRepository,
  ) {}

  async execute(cmd: AddCaseActionCommand, now = new Date()): Promise<CaseChange> {
    const by = await this.staff.actor(cmd.by);
    const at = cmd.at ? new Date(cmd.at) : now;
    const { caseId, idempotencyKey, scope, ...body } = cmd;
    const applied = await this.changes.apply(
      caseId,
      (c) => ({
        entries: [entry(cmd.kind, at, by, cmd.text)],
        set: cmd.kind === 'analysis' ? { analysis: cmd.text } : {},
        events: [
          outboxEvent(
            Events.CaseNoteAdded,
            { caseId: c._id, accountId: c.accountId, at: at.toISOString(), by, kind: cmd.kind },
            now,
          ),
        ],
      }),
      keySource(idempotencyKey, body),
      now,
      scopeOf(scope),
    );
    return toCaseChange(applied);
  }
}
