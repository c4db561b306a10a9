import { AcceptReviewItemCommand, CaseView, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AcceptReviewItemService } from './accept-review-item.service';

@Controller()
export class AcceptReviewItemMessageController {
  constructor(private readonly service: AcceptReviewItemService) {}

  @MessagePattern(Rpc.ReviewQueueAccept)
  accept(@Payload() cmd: AcceptReviewItemCommand): Promise<CaseView> {
    return this.service.execute(cmd);
  }
}
