import { AppError, NoticePreferencesQuery, NoticePreferencesView, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AccountRepository } from '../account.repository';

@Controller()
export class GetNoticePreferencesMessageController {
  constructor(private readonly accounts: AccountRepository) {}

  /** The effective preferences: who is told and how; an account not seen yet answers `known: false`. */
  @MessagePattern(Rpc.NoticePreferencesGet)
  async get(@Payload() q: NoticePreferencesQuery): Promise<NoticePreferencesView> {
    // An account-scoped caller asking for another account's preferences: not found, as a missing account.
    if (q.scope && q.scope.accountId !== q.accountId) throw new AppError('ACCOUNT.NOT_FOUND', `Account ${q.accountId} does not exist`);
    return this.accounts.view(q.accountId, await this.accounts.findById(q.accountId));
  }
}
