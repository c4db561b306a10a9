import { EventEnvelope, Events, SlaBreachedPayload } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { MarkSlaBreachedService } from './mark-sla-breached.service';

@Controller()
export class MarkSlaBreachedMessageController {
  constructor(private readonly service: MarkSlaBreachedService) {}

  @EventPattern(Events.SlaBreached)
  breached(@Payload() event: EventEnvelope<SlaBreachedPayload>): Promise<void> {
    return this.service.execute(event);
  }
}
