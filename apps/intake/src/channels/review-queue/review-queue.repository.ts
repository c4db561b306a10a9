import { AppError, Channel, ReviewStatus } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { FilterQuery, Model } from 'mongoose';
import { v7 as uuidv7 } from 'uuid';
import { Keys } from '../../common/keys';
import { isDuplicateKey } from '../../common/request-hash';
import { ReviewItem } from './review-item.schema';

export type NewReviewItem = Omit<ReviewItem, '_id' | 'status' | 'createdAt' | 'updatedAt' | 'caseId'>;

@Injectable()
export class ReviewQueueRepository {
  constructor(
    @InjectModel(ReviewItem.name) private readonly model: Model<ReviewItem>,
    private readonly keys: Keys,
  ) {}

  /**
   * Queues the message unless its source is queued already; returns the queued item either way. The
   * source's key document reserves the item id first (an `_id` lookup), so a redelivery finds it.
   */
  async add(item: NewReviewItem): Promise<{ item: ReviewItem; created: boolean }> {
    const { key } = await this.keys.claim('scope', `review|${item.sourceKey}`, { caseId: uuidv7() });
    const id = key.caseId!;
    const earlier = await this.model.findById(id).lean<ReviewItem>();
    if (earlier) return { item: earlier, created: false };
    try {
      const created = await this.model.create({ ...item, _id: id, status: 'pending' });
      return { item: created.toObject(), created: true };
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      return { item: (await this.model.findById(id).lean<ReviewItem>())!, created: false };
    }
  }

  async get(id: string): Promise<ReviewItem> {
    const found = await this.model.findById(id).lean<ReviewItem>();
    if (!found) throw new AppError('REVIEW.NOT_FOUND', `Review item ${id} does not exist`);
    return found;
  }

  list(
    filter: { channel?: Channel; status?: ReviewStatus; beforeId?: string },
    limit: number,
  ): Promise<ReviewItem[]> {
    const q: FilterQuery<ReviewItem> = {};
    if (filter.channel) q.channel = filter.channel;
    if (filter.status) q.status = filter.status;
    if (filter.beforeId) q._id = mongoose.trusted({ $lt: filter.beforeId });
    return this.model.find(q).sort({ _id: -1 }).limit(limit).lean<ReviewItem[]>();
  }

  /** Records the decision on a pending item; returns the item after it, or null if it was decided already. */
  decide(id: string, status: Exclude<ReviewStatus, 'pending'>, caseId?: string): Promise<ReviewItem | null> {
    return this.model
      .findOneAndUpdate(
        { _id: id, status: 'pending' },
        { $set: { status, ...(caseId ? { caseId } : {}) } },
        { new: true },
      )
      .lean<ReviewItem>();
  }
}
