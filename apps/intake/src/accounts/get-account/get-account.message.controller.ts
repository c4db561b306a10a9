import { AccountView, GetByIdQuery, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AccountRepository } from '../account.repository';
import { toAccountView } from '../account.schema';

@Controller()
export class GetAccountMessageController {
  constructor(private readonly accounts: AccountRepository) {}

  @MessagePattern(Rpc.AccountGet)
  async get(@Payload() q: GetByIdQuery): Promise<AccountView> {
    return toAccountView(await this.accounts.get(q.id));
  }
}
