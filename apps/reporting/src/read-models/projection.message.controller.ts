import { EventEnvelope } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Projector } from './projector.service';

/**
 * One durable consumer over every event: the projector picks what the reports need (cases, SLA
 * clocks, escalations, notices of any context, accounts, staff) and ignores the rest, so a new kind of
 * delivery outcome (`…sent|failed.vN`) is counted without a new subscription.
 */
export const ALL_EVENTS = 'sladesk.evt.>';

@Controller()
export class ProjectionMessageController {
  constructor(private readonly projector: Projector) {}

  @EventPattern(ALL_EVENTS)
  handle(@Payload() event: EventEnvelope): Promise<void> {
    return this.projector.handle(event);
  }
}
