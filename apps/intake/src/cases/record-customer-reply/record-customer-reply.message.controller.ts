import { CaseChange, RecordCustomerReplyCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RecordCustomerReplyService } from './record-customer-reply.service';

@Controller()
export class RecordCustomerReplyMessageController {
  constructor(private readonly service: RecordCustomerReplyService) {}

  @MessagePattern(Rpc.CaseCustomerReply)
  record(@Payload() cmd: RecordCustomerReplyCommand): Promise<CaseChange> {
    return this.service.execute(cmd);
  }
}
