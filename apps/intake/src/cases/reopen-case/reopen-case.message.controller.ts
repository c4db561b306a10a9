import { CaseChange, ReopenCaseCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ReopenCaseService } from './reopen-case.service';

@Controller()
export class ReopenCaseMessageController {
  constructor(private readonly service: ReopenCaseService) {}

  @MessagePattern(Rpc.CaseReopen)
  reopen(@Payload() cmd: ReopenCaseCommand): Promise<CaseChange> {
    return this.service.execute(cmd);
  }
}
