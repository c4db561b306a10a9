import { AssignCaseCommand, CaseChange, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AssignCaseService } from './assign-case.service';

@Controller()
export class AssignCaseMessageController {
  constructor(private readonly service: AssignCaseService) {}

  @MessagePattern(Rpc.CaseAssign)
  assign(@Payload() cmd: AssignCaseCommand): Promise<CaseChange> {
    return this.service.execute(cmd);
  }
}
