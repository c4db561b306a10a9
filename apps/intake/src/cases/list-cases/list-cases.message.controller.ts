import { CaseSummary, ListCasesQuery, Page, Rpc } from '@sladesk/contracts';
import { CROSS_ACCOUNT, decodeCursor, pageOf } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CaseRepository } from '../case.repository';
import { Case, toCaseView } from '../case.schema';

/** Case ids are uuid v7. */
const CASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lists carry no long texts: a page of 200 cases stays small whatever their descriptions. */
function toSummary(c: Case): CaseSummary {
  const { description: _d, analysis: _a, ...summary } = toCaseView({ ...c, description: '', analysis: '' });
  return summary;
}

@Controller()
export class ListCasesMessageController {
  constructor(private readonly cases: CaseRepository) {}

  /** Newest first; `nextCursor` continues after the last item. */
  @MessagePattern(Rpc.CaseList)
  async list(@Payload() q: ListCasesQuery): Promise<Page<CaseSummary>> {
    const limit = q.limit ?? 50;
    const scope = q.accountId ? { accountId: q.accountId } : CROSS_ACCOUNT;
    const rows = await this.cases.list(
      scope,
      {
        status: q.status,
        severity: q.severity,
        breached: q.breached,
        receivedFrom: q.from ? new Date(q.from) : undefined,
        receivedBefore: q.to ? new Date(q.to) : undefined,
        beforeId: q.cursor ? decodeCursor(q.cursor, CASE_ID) : undefined,
      },
      limit + 1,
    );
    return pageOf(rows, limit, toSummary);
  }
}
