import {
  EscalatedPayload,
  EscalationAcknowledgedPayload,
  EventEnvelope,
  Events,
  IncidentCaseLinkedPayload,
  NotificationOutcomePayload,
} from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { RecordEscalationService } from './record-escalation.service';

@Controller()
export class RecordEscalationMessageController {
  constructor(private readonly service: RecordEscalationService) {}

  @EventPattern(Events.Escalated)
  escalated(@Payload() e: EventEnvelope<EscalatedPayload>): Promise<void> {
    return this.service.escalated(e);
  }

  @EventPattern(Events.EscalationAcknowledged)
  acknowledged(@Payload() e: EventEnvelope<EscalationAcknowledgedPayload>): Promise<void> {
    return this.service.acknowledged(e);
  }

  @EventPattern(Events.NotificationSent)
  sent(@Payload() e: EventEnvelope<NotificationOutcomePayload>): Promise<void> {
    return this.service.notification(e, true);
  }

  @EventPattern(Events.NotificationFailed)
  failed(@Payload() e: EventEnvelope<NotificationOutcomePayload>): Promise<void> {
    return this.service.notification(e, false);
  }

  @EventPattern(Events.IncidentCaseLinked)
  incidentLinked(@Payload() e: EventEnvelope<IncidentCaseLinkedPayload>): Promise<void> {
    return this.service.incidentLinked(e);
  }
}
