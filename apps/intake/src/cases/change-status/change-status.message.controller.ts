import { CaseChange, ChangeCaseStatusCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ChangeStatusService } from './change-status.service';

@Controller()
export class ChangeStatusMessageController {
  constructor(private readonly service: ChangeStatusService) {}

  @MessagePattern(Rpc.CaseChangeStatus)
  change(@Payload() cmd: ChangeCaseStatusCommand): Promise<CaseChange> {
    return this.service.execute(cmd);
  }
}
