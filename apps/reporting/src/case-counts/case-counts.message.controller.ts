import { CaseCounts, CaseCountsQuery, CaseOpenedPayload, EventEnvelope, Events, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { CaseCountsService } from './case-counts.service';

@Controller()
export class CaseCountsMessageController {
  constructor(private readonly service: CaseCountsService) {}

  @EventPattern(Events.CaseOpened)
  async caseOpened(@Payload() event: EventEnvelope<CaseOpenedPayload>): Promise<void> {
    await this.service.onCaseOpened(event);
  }

  @MessagePattern(Rpc.ReportingCaseCounts)
  counts(@Payload() q: CaseCountsQuery): Promise<CaseCounts> {
    return this.service.counts(q);
  }
}
