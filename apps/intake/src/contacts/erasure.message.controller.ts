import { EraseContactCommand, ErasureView, GetErasureQuery, RetentionSweepCommand, RetentionSweepResult, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { EraseContactService } from './erase-contact.service';

@Controller()
export class ErasureMessageController {
  constructor(private readonly service: EraseContactService) {}

  @MessagePattern(Rpc.ContactErase)
  erase(@Payload() cmd: EraseContactCommand): Promise<ErasureView> {
    return this.service.erase(cmd);
  }

  @MessagePattern(Rpc.ErasureGet)
  get(@Payload() q: GetErasureQuery): Promise<ErasureView> {
    return this.service.get(q.id);
  }

  @MessagePattern(Rpc.RetentionSweep)
  sweep(@Payload() cmd: RetentionSweepCommand): Promise<RetentionSweepResult> {
    return this.service.sweepRetention(cmd);
  }
}
