import {
  AppError,
  EscalatedPayload,
  EscalationAcknowledgedPayload,
  EventEnvelope,
  Events,
  IncidentCaseLinkedPayload,
  NotificationOutcomePayload,
} from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable, Logger } from '@nestjs/common';
import { CaseChanges, CaseDecision } from '../case-changes.service';
import { Case } from '../case.schema';
import { entry } from '../transitions';

const SYSTEM = { kind: 'system' as const, name: 'SLA Desk escalation' };

/**
 * The escalation service decides; the case's record shows it: every escalation (and the assignment it
 * makes), acknowledgement, notification delivered or failed, and incident link becomes a timeline entry,
 * once per event.
 */
@Injectable()
export class RecordEscalationService {
  private readonly logger = new Logger(RecordEscalationService.name);

  constructor(private readonly changes: CaseChanges) {}

  escalated(e: EventEnvelope<EscalatedPayload>): Promise<void> {
    const p = e.payload;
    const reminder = p.repeat > 0 ? ` (reminder ${p.repeat}, unacknowledged)` : '';
    return this.record(p.caseId, e.eventId, (c) => {
      // Intake owns the assignee; escalation asks through this event. A later assignment (by a person,
      // or by a newer escalation) wins over an escalation decided before it, whatever the arrival order.
      const decidedAt = new Date(p.at);
      const reassign =
        p.repeat === 0 && p.assigneeId && p.assigneeId !== c.assigneeId && !(c.assignedAt && c.assignedAt > decidedAt);
      return {
        entries: [
          entry('escalation', new Date(p.at), SYSTEM, `Escalated to ${p.level}: ${p.reason.replace(/_/g, ' ')}${reminder}. ${p.detail}`, {
            escalationId: p.escalationId,
            level: p.level,
            reason: p.reason,
            recipients: p.recipients,
            repeat: p.repeat,
            ...(p.assigneeId ? { assigneeId: p.assigneeId } : {}),
          }),
        ],
        ...(reassign ? { set: { assigneeId: p.assigneeId, assignedAt: decidedAt } } : {}),
        events: reassign
          ? [
              outboxEvent(Events.CaseAssigned, {
                caseId: c._id,
                accountId: c.accountId,
                at: p.at,
                by: SYSTEM,
                assigneeId: p.assigneeId,
                ...(c.assigneeId ? { previousAssigneeId: c.assigneeId } : {}),
                escalationId: p.escalationId,
              }),
            ]
          : [],
      };
    });
  }

  acknowledged(e: EventEnvelope<EscalationAcknowledgedPayload>): Promise<void> {
    const p = e.payload;
    return this.record(p.caseId, e.eventId, () => ({
      entries: [
        entry('acknowledged', new Date(p.at), { kind: 'staff', id: p.by, name: p.by }, `Escalation to ${p.level} acknowledged`, {
          escalationId: p.escalationId,
          level: p.level,
        }),
      ],
      events: [],
    }));
  }

  notification(e: EventEnvelope<NotificationOutcomePayload>, delivered: boolean): Promise<void> {
    const p = e.payload;
    const text = delivered
      ? `Notified ${p.email} by ${p.channels.join(' and ')}: "${p.subject}"`
      : `Notifying ${p.email} failed (attempt ${p.attempts}${p.final ? ', giving up' : ', will retry'}): ${p.error ?? 'unknown error'}`;
    return this.record(p.caseId, e.eventId, () => ({
      entries: [
        entry('notification', new Date(p.at), SYSTEM, text, {
          notificationId: p.notificationId,
          delivered,
          attempts: p.attempts,
          ...(p.escalationId ? { escalationId: p.escalationId } : {}),
          ...(p.staffId ? { staffId: p.staffId } : {}),
        }),
      ],
      events: [],
    }));
  }

  incidentLinked(e: EventEnvelope<IncidentCaseLinkedPayload>): Promise<void> {
    const p = e.payload;
    return this.record(p.caseId, e.eventId, () => ({
      entries: [
        entry(
          'incident',
          new Date(p.at),
          SYSTEM,
          `Linked to incident "${p.title}"${p.platformWide ? ' (platform-wide)' : ''}`,
          { incidentId: p.incidentId, platformWide: p.platformWide },
        ),
      ],
      events: [],
    }));
  }

  private async record(caseId: string | undefined, eventId: string, decide: (c: Case) => CaseDecision): Promise<void> {
    if (!caseId) return; // about an incident, not a case
    try {
      await this.changes.apply(caseId, decide, { key: `escalation:${eventId}` });
    } catch (err) {
      if (err instanceof AppError && err.code === 'CASE.NOT_FOUND') {
        return this.logger.warn(`escalation event ${eventId} for unknown case ${caseId}: ignored`);
      }
      throw err;
    }
  }
}
