import { CaseView, CreateCaseCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CreateCaseService } from './create-case.service';

@Controller()
export class CreateCaseMessageController {
  constructor(private readonly service: CreateCaseService) {}

  @MessagePattern(Rpc.CaseCreate)
  create(@Payload() cmd: CreateCaseCommand): Promise<CaseView> {
    return this.service.execute(cmd);
  }
}
