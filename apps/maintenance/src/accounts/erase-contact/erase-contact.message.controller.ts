import { ContactErasedPayload, EventEnvelope, Events } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EraseContactService } from './erase-contact.service';

@Controller()
export class EraseContactMessageController {
  constructor(private readonly service: EraseContactService) {}

  @EventPattern(Events.ContactErased)
  erased(@Payload() e: EventEnvelope<ContactErasedPayload>): Promise<void> {
    return this.service.apply(e);
  }
}
