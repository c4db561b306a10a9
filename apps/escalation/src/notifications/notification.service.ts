import { EscalationEvents, ListNotificationsQuery, NotificationView, Page } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { createHash } from 'node:crypto';
import { Transporter } from 'nodemailer';
import { EscalationEnv } from '../config';
import { DirStaff } from '../directory/directory.schema';
import { Notification, toNotificationView } from './notification.schema';
import { WorkingHours } from './working-hours';

export const MAILER = Symbol('MAILER');
const isDuplicateKey = (e: unknown) => (e as { code?: number }).code === 11000;
export const stableId = (prefix: string, ...parts: string[]) =>
  `${prefix}_${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22)}`;

export interface NotifyInput {
  /** What makes this notification unique (its cause and recipient): it is created once. */
  key: string;
  to: DirStaff;
  subject: string;
  text: string;
  critical: boolean;
  caseId?: string;
  escalationId?: string;
  incidentId?: string;
}

/**
 * Notifications: created idempotently, held until the recipient's working hours unless critical,
 * delivered by SMTP with retries, each outcome published (and so recorded in the case timeline).
 */
@Injectable()
export class NotificationService {
  private readonly logger = new Logger(NotificationService.name);
  private readonly hours: WorkingHours;

  constructor(
    @InjectModel(Notification.name) private readonly model: Model<Notification>,
    @Inject(MAILER) private readonly mailer: Transporter,
    private readonly config: EscalationEnv,
    private readonly relay: OutboxRelay,
  ) {
    this.hours = new WorkingHours(config.SLADESK_STAFF_TIMEZONE, config.SLADESK_STAFF_HOURS);
  }

  async notify(input: NotifyInput, now = new Date()): Promise<void> {
    const sendAfter = input.critical ? now : this.hours.nextWorkingInstant(now, input.to.timeZone, input.to.workingHours);
    try {
      await this.model.create({
        _id: stableId('ntf', input.key),
        caseId: input.caseId,
        escalationId: input.escalationId,
        incidentId: input.incidentId,
        recipient: { staffId: input.to._id, name: input.to.name, email: input.to.email },
        channels: ['email'],
        subject: input.subject,
        text: input.text,
        critical: input.critical,
        state: 'pending',
        sendAfter,
      });
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
  }

  /** Sends every notification that is due, one claim at a time; returns how many were attempted. */
  async dispatchDue(now = new Date()): Promise<number> {
    let attempted = 0;
    for (;;) {
      const claimUntil = new Date(now.getTime() + 60_000);
      const n = await this.model
        .findOneAndUpdate(
          { state: 'pending', sendAfter: mongoose.trusted({ $lte: now }), leaseUntil: mongoose.trusted({ $lte: now }) },
          { $set: { leaseUntil: claimUntil } },
          { sort: { sendAfter: 1 }, new: true },
        )
        .lean<Notification>();
      if (!n) return attempted;
      attempted += 1;
      await this.deliver(n, claimUntil);
      now = new Date();
    }
  }

  private async deliver(n: Notification, lease: Date): Promise<void> {
    const attempts = n.attempts + 1;
    const base = {
      notificationId: n._id,
      ...(n.caseId ? { caseId: n.caseId } : {}),
      ...(n.escalationId ? { escalationId: n.escalationId } : {}),
      ...(n.recipient.staffId ? { staffId: n.recipient.staffId } : {}),
      email: n.recipient.email,
      channels: n.channels,
      subject: n.subject,
      attempts,
    };
    try {
      await this.mailer.sendMail({
        from: this.config.SLADESK_MAIL_FROM,
        to: `"${n.recipient.name.replace(/"/g, '')}" <${n.recipient.email}>`,
        subject: n.subject,
        text: n.text,
        headers: { 'X-Sladesk-Notification-Id': n._id, ...(n.caseId ? { 'X-Sladesk-Case-Id': n.caseId } : {}) },
      });
      const at = new Date();
      await this.model.updateOne(
        { _id: n._id, leaseUntil: lease },
        {
          $set: { state: 'sent', sentAt: at, attempts },
          $push: { outbox: outboxEvent(EscalationEvents.NotificationSent, { ...base, at: at.toISOString() }) },
        },
      );
    } catch (e) {
      const error = (e as Error).message.slice(0, 500);
      const final = attempts >= this.config.SLADESK_NOTIFY_MAX_ATTEMPTS;
      const at = new Date();
      const retryAt = new Date(at.getTime() + this.config.SLADESK_NOTIFY_RETRY_MS * 2 ** (attempts - 1));
      this.logger.warn(`notification ${n._id} attempt ${attempts} failed${final ? ' (giving up)' : ''}: ${error}`);
      await this.model.updateOne(
        { _id: n._id, leaseUntil: lease },
        {
          $set: { state: final ? 'failed' : 'pending', attempts, lastError: error, sendAfter: final ? n.sendAfter : retryAt, leaseUntil: new Date(0) },
          $push: { outbox: outboxEvent(EscalationEvents.NotificationFailed, { ...base, error, final, at: at.toISOString() }) },
        },
      );
    }
    this.relay.published(this.model, n._id);
  }

  async list(q: ListNotificationsQuery): Promise<Page<NotificationView>> {
    const limit = q.limit ?? 50;
    const filter: Record<string, unknown> = {};
    if (q.caseId) filter.caseId = q.caseId;
    if (q.escalationId) filter.escalationId = q.escalationId;
    if (q.state) filter.state = q.state;
    if (q.cursor) filter._id = mongoose.trusted({ $gt: Buffer.from(q.cursor, 'base64url').toString() });
    const rows = await this.model.find(filter, { outbox: 0 }).sort({ _id: 1 }).limit(limit + 1).lean<Notification[]>();
    const items = rows.slice(0, limit).map(toNotificationView);
    return rows.length > limit
      ? { items, nextCursor: Buffer.from(items[items.length - 1].id).toString('base64url') }
      : { items };
  }
}
