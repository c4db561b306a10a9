import { AppError, ListNoticeDeliveriesQuery, ListNoticesQuery, NoticeDeliveryView, NoticeIdQuery, NoticeView, Rpc } from '@sladesk/contracts';
import { Delivery, Outbound } from '@sladesk/outbound';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import mongoose from 'mongoose';
import { decodeCursor, encodeCursor, pageOf } from '../../common/cursor';
import { NoticeFanout } from '../notice-fanout';
import { Notice, toNoticeView } from '../notice.schema';

const toDeliveryView = (d: Delivery): NoticeDeliveryView => ({
  id: d._id,
  noticeId: d.noticeId,
  ...(d.accountId ? { accountId: d.accountId } : {}),
  // Notices are mail or Intercom messages, never replies in a conversation (intake's channel).
  channel: d.channel as NoticeDeliveryView['channel'],
  to: d.to,
  subject: d.subject,
  // Maintenance registers no `stillWanted` hook, so none of its deliveries ends `cancelled`.
  state: d.state as NoticeDeliveryView['state'],
  attempts: d.attempts,
  ...(d.sentAt ? { sentAt: d.sentAt.toISOString() } : {}),
  ...(d.lastError ? { lastError: d.lastError } : {}),
  createdAt: d.createdAt.toISOString(),
});

/** The notices log: what was told about a window or advisory, and every delivery of it. */
@Controller()
export class NoticesMessageController {
  constructor(
    private readonly fanout: NoticeFanout,
    private readonly outbound: Outbound,
  ) {}

  /** Notices are vendor-wide (one per window or advisory, told to many accounts): cross-account, staff only at the gateway. */
  @MessagePattern(Rpc.NoticeList)
  async list(@Payload() q: ListNoticesQuery): Promise<{ items: NoticeView[]; nextCursor?: string }> {
    const limit = q.limit ?? 50;
    const filter: Record<string, unknown> = {};
    if (q.windowId) filter.windowId = q.windowId;
    if (q.advisoryId) filter.advisoryId = q.advisoryId;
    if (q.cursor) filter._id = mongoose.trusted({ $gt: decodeCursor(q.cursor) });
    const rows = await this.fanout.model.find(filter, { data: 0 }).sort({ _id: 1 }).limit(limit + 1).lean<Notice[]>();
    return pageOf(rows, limit, toNoticeView, (n) => n._id);
  }

  @MessagePattern(Rpc.NoticeGet)
  async get(@Payload() q: NoticeIdQuery): Promise<NoticeView> {
    const n = await this.fanout.model.findById(q.id, { data: 0 }).lean<Notice>();
    if (!n) throw new AppError('NOTICE.NOT_FOUND', `Notice ${q.id} does not exist`);
    return toNoticeView(n);
  }

  @MessagePattern(Rpc.NoticeDeliveries)
  async deliveries(@Payload() q: ListNoticeDeliveriesQuery): Promise<{ items: NoticeDeliveryView[]; nextCursor?: string }> {
    const page = await this.outbound.list(q.id, q.limit ?? 50, q.cursor ? decodeCursor(q.cursor) : undefined);
    // A notice is told to many accounts: an account-scoped caller sees its own deliveries only (a filtered page, which may be short).
    const items = q.scope ? page.items.filter((d) => d.accountId === q.scope!.accountId) : page.items;
    return { items: items.map(toDeliveryView), ...(page.nextCursor ? { nextCursor: encodeCursor(page.nextCursor) } : {}) };
  }
}
