import { AccountView, ListQuery, Page, Rpc } from '@sladesk/contracts';
import { decodeCursor, pageOf } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AccountRepository } from '../account.repository';
import { toAccountView } from '../account.schema';

@Controller()
export class ListAccountsMessageController {
  constructor(private readonly accounts: AccountRepository) {}

  /** In id order; `nextCursor` continues after the last item. */
  @MessagePattern(Rpc.AccountList)
  async list(@Payload() q: ListQuery): Promise<Page<AccountView>> {
    const limit = q.limit ?? 50;
    const rows = await this.accounts.list(q.cursor ? decodeCursor(q.cursor) : undefined, limit + 1);
    return pageOf(rows, limit, toAccountView);
  }
}
