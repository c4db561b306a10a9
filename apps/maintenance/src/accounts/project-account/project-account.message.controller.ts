import { AccountPayload, EventEnvelope, Events } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AccountRepository } from '../account.repository';

/** Intake's account events, projected: the names, time zones and contacts notices are written for. */
@Controller()
export class ProjectAccountMessageController {
  constructor(private readonly accounts: AccountRepository) {}

  @EventPattern(Events.AccountCreated)
  async created(@Payload() event: EventEnvelope<AccountPayload>): Promise<void> {
    await this.accounts.project(event.payload);
  }

  @EventPattern(Events.AccountUpdated)
  async updated(@Payload() event: EventEnvelope<AccountPayload>): Promise<void> {
    await this.accounts.project(event.payload);
  }
}
