import { CaseSlaView, EventEnvelope, Events, GetCaseSlaQuery, SlaRpc } from '@sladesk/contracts';
import { scopeOfCaller } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { CaseClocksService } from './case-clocks.service';

/** Case events move the clocks; one durable consumer per subject, so facts may arrive in any order. */
@Controller()
export class CaseClocksMessageController {
  constructor(private readonly clocks: CaseClocksService) {}

  @EventPattern(Events.CaseOpened)
  opened(@Payload() e: EventEnvelope): Promise<void> {
    return this.clocks.onCaseEvent(e);
  }

  @EventPattern(Events.CaseResponded)
  responded(@Payload() e: EventEnvelope): Promise<void> {
    return this.clocks.onCaseEvent(e);
  }

  @EventPattern(Events.CaseCustomerReplied)
  customerReplied(@Payload() e: EventEnvelope): Promise<void> {
    return this.clocks.onCaseEvent(e);
  }

  @EventPattern(Events.CaseStatusChanged)
  statusChanged(@Payload() e: EventEnvelope): Promise<void> {
    return this.clocks.onCaseEvent(e);
  }

  @EventPattern(Events.CaseReclassified)
  reclassified(@Payload() e: EventEnvelope): Promise<void> {
    return this.clocks.onCaseEvent(e);
  }

  @EventPattern(Events.CaseResolved)
  resolved(@Payload() e: EventEnvelope): Promise<void> {
    return this.clocks.onCaseEvent(e);
  }

  @EventPattern(Events.CaseReopened)
  reopened(@Payload() e: EventEnvelope): Promise<void> {
    return this.clocks.onCaseEvent(e);
  }

  @MessagePattern(SlaRpc.CaseSlaGet)
  sla(@Payload() q: GetCaseSlaQuery): Promise<CaseSlaView> {
    return this.clocks.view(scopeOfCaller(q.scope), q.caseId);
  }
}
