import { AccountView, Rpc, UpdateAccountCommand } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { UpdateAccountService } from './update-account.service';

@Controller()
export class UpdateAccountMessageController {
  constructor(private readonly service: UpdateAccountService) {}

  @MessagePattern(Rpc.AccountUpdate)
  update(@Payload() cmd: UpdateAccountCommand): Promise<AccountView> {
    return this.service.execute(cmd);
  }
}
