import { AdvisoryView, ListAdvisoriesQuery, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import mongoose from 'mongoose';
import { decodeCursor, pageOf } from '../../common/cursor';
import { AdvisoryRepository } from '../advisory.repository';
import { Advisory, toAdvisoryView } from '../advisory.schema';

@Controller()
export class ListAdvisoriesMessageController {
  constructor(private readonly advisories: AdvisoryRepository) {}

  /** Newest first (ids are time-ordered). Advisories are few: indexed on MongoDB, a small scan on FerretDB. */
  @MessagePattern(Rpc.AdvisoryList)
  async list(@Payload() q: ListAdvisoriesQuery): Promise<{ items: AdvisoryView[]; nextCursor?: string }> {
    const limit = q.limit ?? 50;
    const filter: Record<string, unknown> = {};
    if (q.kind) filter.kind = q.kind;
    if (q.stage) filter.stage = q.stage;
    if (q.component) filter['affects.component'] = q.component;
    if (q.cursor) filter._id = mongoose.trusted({ $lt: decodeCursor(q.cursor) });
    const rows = await this.advisories.model.find(filter, { outbox: 0 }).sort({ _id: -1 }).limit(limit + 1).lean<Advisory[]>();
    return pageOf(rows, limit, toAdvisoryView, (a) => a._id);
  }
}
