import { AppError, CaseView, ListCasesQuery, Page, Rpc } from '@sladesk/contracts';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { encodeCursor } from '../../common/cursor';
import { CaseRepository } from '../case.repository';
import { toCaseView } from '../case.schema';

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[0-9a-f-]{36}$/.test(id))
    throw new AppError('PAGINATION.BAD_CURSOR', 'cursor is not one this API returned');
  return id;
}

@Controller()
export class ListCasesMessageController {
  constructor(private readonly cases: CaseRepository) {}

  /** Newest first; `nextCursor` continues after the last item. */
  @MessagePattern(Rpc.CaseList)
  async list(@Payload() q: ListCasesQuery): Promise<Page<CaseView>> {
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
        beforeId: q.cursor ? decodeCursor(q.cursor) : undefined,
      },
      limit + 1,
    );
    const items = rows.slice(0, limit).map(toCaseView);
    return rows.length > limit ? { items, nextCursor: encodeCursor(items[items.length - 1].id) } : { items };
  }
}
