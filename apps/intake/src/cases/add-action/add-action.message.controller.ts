import { AddCaseActionCommand, CaseChange, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AddActionService } from './add-action.service';

@Controller()
export class AddActionMessageController {
  constructor(private readonly service: AddActionService) {}

  @MessagePattern(Rpc.CaseAddAction)
  add(@Payload() cmd: AddCaseActionCommand): Promise<CaseChange> {
    return this.service.execute(cmd);
  }
}
