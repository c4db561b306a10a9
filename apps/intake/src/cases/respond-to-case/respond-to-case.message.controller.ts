import { CaseChange, RespondToCaseCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RespondToCaseService } from './respond-to-case.service';

@Controller()
export class RespondToCaseMessageController {
  constructor(private readonly service: RespondToCaseService) {}

  @MessagePattern(Rpc.CaseRespond)
  respond(@Payload() cmd: RespondToCaseCommand): Promise<CaseChange> {
    return this.service.execute(cmd);
  }
}
