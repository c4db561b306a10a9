import { NoticePreferencesQuery, NoticePreferencesView, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AccountRepository } from '../account.repository';

@Controller()
export class GetNoticePreferencesMessageController {
  constructor(private readonly accounts: AccountRepository) {}

  /** The effective preferences: who is told and how; an account not seen yet answers `known: false`. */
  @MessagePattern(Rpc.NoticePreferencesGet)
  async get(@Payload() q: NoticePreferencesQuery): Promise<NoticePreferencesView> {
    return this.accounts.view(q.accountId, await this.accounts.findById(q.accountId));
  }
}
