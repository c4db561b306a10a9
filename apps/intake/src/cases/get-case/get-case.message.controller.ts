import { CaseRecord, GetCaseQuery, Rpc } from '@sladesk/contracts';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CaseRepository, notFound } from '../case.repository';
import { toCaseRecord } from '../case.schema';

@Controller()
export class GetCaseMessageController {
  constructor(private readonly cases: CaseRepository) {}

  // Staff API keys see every account for now; account-scoped keys come with the auth work.
  @MessagePattern(Rpc.CaseGet)
  async get(@Payload() q: GetCaseQuery): Promise<CaseRecord> {
    const found = await this.cases.findById(CROSS_ACCOUNT, q.id);
    if (!found) throw notFound(q.id);
    return toCaseRecord(found);
  }
}
