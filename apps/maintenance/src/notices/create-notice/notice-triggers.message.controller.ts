import {
  AdvisoryNoticePayload,
  EventEnvelope,
  Events,
  WindowCancelledPayload,
  WindowCompletedPayload,
  WindowPayload,
  WindowReminderPayload,
  WindowRescheduledPayload,
  WindowStartedPayload,
} from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { NoticeTriggers } from './notice-triggers.service';

/** Our own events are what customers are told about: each becomes one notice (its id derived from it). */
@Controller()
export class NoticeTriggersMessageController {
  constructor(private readonly triggers: NoticeTriggers) {}

  @EventPattern(Events.MaintenanceScheduled)
  scheduled(@Payload() e: EventEnvelope<WindowPayload>) {
    return this.triggers.window('window.scheduled', e.payload.windowId, `v${e.payload.version}`, e.payload);
  }

  @EventPattern(Events.MaintenanceRescheduled)
  rescheduled(@Payload() e: EventEnvelope<WindowRescheduledPayload>) {
    return this.triggers.window('window.rescheduled', e.payload.windowId, `v${e.payload.version}`, e.payload);
  }

  @EventPattern(Events.MaintenanceReminder)
  reminder(@Payload() e: EventEnvelope<WindowReminderPayload>) {
    return this.triggers.reminder(e.payload);
  }

  @EventPattern(Events.MaintenanceStarted)
  started(@Payload() e: EventEnvelope<WindowStartedPayload>) {
    return this.triggers.window('window.started', e.payload.windowId, 'once', e.payload);
  }

  @EventPattern(Events.MaintenanceCompleted)
  completed(@Payload() e: EventEnvelope<WindowCompletedPayload>) {
    return this.triggers.window('window.completed', e.payload.windowId, 'once', e.payload);
  }

  @EventPattern(Events.MaintenanceCancelled)
  cancelled(@Payload() e: EventEnvelope<WindowCancelledPayload>) {
    return this.triggers.window('window.cancelled', e.payload.windowId, 'once', e.payload);
  }

  @EventPattern(Events.AdvisoryAnnounced)
  announced(@Payload() e: EventEnvelope<AdvisoryNoticePayload>) {
    return this.triggers.advisory('advisory.announced', e.payload.advisoryId);
  }

  @EventPattern(Events.AdvisoryReleased)
  released(@Payload() e: EventEnvelope<AdvisoryNoticePayload>) {
    return this.triggers.advisory('advisory.released', e.payload.advisoryId);
  }
}
