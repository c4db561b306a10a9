import { ListReviewQueueQuery, Page, ReviewItemView, Rpc } from '@sladesk/contracts';
import { decodeCursor, pageOf } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { toReviewItemView } from '../review-item.schema';
import { ReviewQueueRepository } from '../review-queue.repository';

@Controller()
export class ListReviewQueueMessageController {
  constructor(private readonly queue: ReviewQueueRepository) {}

  /** Newest first. */
  @MessagePattern(Rpc.ReviewQueueList)
  async list(@Payload() q: ListReviewQueueQuery): Promise<Page<ReviewItemView>> {
    const limit = q.limit ?? 50;
    const rows = await this.queue.list(
      { channel: q.channel, status: q.status, beforeId: q.cursor ? decodeCursor(q.cursor) : undefined },
      limit + 1,
    );
    return pageOf(rows, limit, toReviewItemView);
  }
}
