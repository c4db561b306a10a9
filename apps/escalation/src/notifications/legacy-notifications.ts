import { Delivery, Outbound } from '@sladesk/outbound';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { LegacyNotification } from './legacy-notification.schema';
import { headersOf, NOTIFICATION_TOPIC, refsOf } from './notification.schema';

/**
 * Moves what the notification service of earlier versions left in `notifications` into outbound's
 * `outbound_deliveries` (same `_id`, so the case's notification ids, the acknowledgement clocks' checks
 * and the mails' Message-IDs stay as they were): a pending one is then sent by outbound at its time, a
 * settled one is listed as before. Each document is inserted (if absent) before it is deleted, so a
 * crash loses none. A document whose outbox still holds events is left for the relay to publish them
 * and moved on the next pass. Runs at start in the background (nothing to do, and no scan, when the
 * old collection is empty) and with every background repair (for instances of the old version still
 * running during an upgrade; stop them first to be sure nothing is sent twice).
 */
@Injectable()
export class LegacyNotifications implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LegacyNotifications.name);
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    @InjectModel(LegacyNotification.name) private readonly legacy: Model<LegacyNotification>,
    private readonly outbound: Outbound,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.move().catch((e) => this.logger.warn(`moving notifications to outbound failed, the next repair retries: ${(e as Error).message}`));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Moves every document it can; returns how many. */
  async move(now = new Date()): Promise<number> {
    if ((await this.legacy.estimatedDocumentCount()) === 0) return 0;
    let moved = 0;
    for await (const n of this.legacy.find({}).lean<LegacyNotification[]>().cursor()) {
      if (this.stopped) break;
      if (n.outbox?.length) continue;
      await this.outbound.adopt([deliveryOf(n)], now);
      // Only as read: a document an old instance changed meanwhile is moved again next pass.
      await this.legacy.deleteOne({ _id: n._id, state: n.state, attempts: n.attempts });
      moved += 1;
    }
    if (moved) this.logger.log(`moved ${moved} notification(s) of the earlier version to outbound`);
    return moved;
  }
}

export function deliveryOf(n: LegacyNotification): Delivery {
  const settled = n.state !== 'pending';
  return {
    _id: n._id,
    noticeId: n._id,
    source: 'escalation',
    topic: NOTIFICATION_TOPIC,
    ...(n.accountId ? { accountId: n.accountId } : {}),
    channel: 'email',
    to: n.recipient.email,
    toName: n.recipient.name,
    subject: n.subject,
    text: n.text,
    headers: headersOf(n._id, n.caseId),
    refs: refsOf({ ...n, staffId: n.recipient.staffId, critical: !!n.critical }),
    state: n.state,
    attempts: n.attempts ?? 0,
    nextAttemptAt: n.sendAfter,
    // A lease an old instance still holds is respected: the delivery is looked at when it ends.
    leaseUntil: n.leaseUntil ?? new Date(0),
    ...(n.lastError ? { lastError: n.lastError } : {}),
    ...(n.sentAt ? { sentAt: n.sentAt } : {}),
    ...(settled && n.updatedAt ? { lastAttemptAt: n.updatedAt } : {}),
    createdAt: n.createdAt ?? n.sendAfter,
  };
}
