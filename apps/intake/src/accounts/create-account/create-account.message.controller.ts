import { AccountView, CreateAccountCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CreateAccountService } from './create-account.service';

@Controller()
export class CreateAccountMessageController {
  constructor(private readonly service: CreateAccountService) {}

  @MessagePattern(Rpc.AccountCreate)
  create(@Payload() cmd: CreateAccountCommand): Promise<AccountView> {
    return this.service.execute(cmd);
  }
}
