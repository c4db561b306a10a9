import { AppError, DismissReviewItemCommand, ReviewItemView, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { toReviewItemView } from '../review-item.schema';
import { ReviewQueueRepository } from '../review-queue.repository';

@Controller()
export class DismissReviewItemMessageController {
  constructor(private readonly queue: ReviewQueueRepository) {}

  /** Spam, a wrong address: the item stays, marked dismissed. */
  @MessagePattern(Rpc.ReviewQueueDismiss)
  async dismiss(@Payload() cmd: DismissReviewItemCommand): Promise<ReviewItemView> {
    const item = await this.queue.get(cmd.id);
    if (item.status === 'dismissed') return toReviewItemView(item);
    const decided = await this.queue.decide(item._id, 'dismissed');
    if (!decided) throw new AppError('REVIEW.ALREADY_DECIDED', `Review item ${item._id} was accepted`);
    return toReviewItemView(decided);
  }
}
