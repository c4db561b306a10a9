import { CaseChange, ReclassifyCaseCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ReclassifyCaseService } from './reclassify-case.service';

@Controller()
export class ReclassifyCaseMessageController {
  constructor(private readonly service: ReclassifyCaseService) {}

  @MessagePattern(Rpc.CaseReclassify)
  reclassify(@Payload() cmd: ReclassifyCaseCommand): Promise<CaseChange> {
    return this.service.execute(cmd);
  }
}
