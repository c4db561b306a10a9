import { EscalationEvents, ListNotificationsQuery, NotificationView, Page } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { decodeCursor, DueEntry, DueIndex, isDuplicateKey, pageOf } from '@sladesk/persistence';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { createHash } from 'node:crypto';
import { Transporter } from 'nodemailer';
import { EscalationEnv } from '../config';
import { DirStaff } from '../directory/directory.schema';
import { CaseProjection } from '../cases/case-projection.service';
import { DueIndexes } from '../keyed/due-indexes';
import { Notification, toNotificationView } from './notification.schema';
import { WorkingHours } from './working-hours';

export const MAILER = Symbol('MAILER');
const BATCH = 50;
/** A dispatcher owns a claimed notification this long (then another may retry it). */
const LEASE_MS = 60_000;
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
  /** The account the notification is about (carried by its outcome events, for reports by account). */
  accountId?: string;
  escalationId?: string;
  /** Which notification of the escalation: 0 the first, then each reminder. */
  repeat?: number;
  incidentId?: string;
}

/** What the owner of an escalation decides about its notifications (see EscalationService). */
export interface DeliveryObserver {
  /** Just before sending: whether it is still wanted (an acknowledged or closed escalation's is not). */
  stillWanted(n: Notification, now: Date): Promise<boolean>;
  /** The last word on a delivery: sent, or failed for good. */
  settled(n: Notification, delivered: boolean, at: Date): Promise<void>;
}

/**
 * Notifications: created idempotently, held until the recipient's working hours unless critical,
 * delivered by SMTP with retries, each outcome published (and so recorded in the case timeline).
 */
@Injectable()
export class NotificationService {
  private readonly logger = new Logger(NotificationService.name);
  private readonly hours: WorkingHours;
  private observer?: DeliveryObserver;

  constructor(
    @InjectModel(Notification.name) private readonly model: Model<Notification>,
    @Inject(MAILER) private readonly mailer: Transporter,
    private readonly config: EscalationEnv,
    private readonly relay: OutboxRelay,
    private readonly due: DueIndexes,
    private readonly cases: CaseProjection,
  ) {
    this.hours = new WorkingHours(config.SLADESK_STAFF_TIMEZONE, config.SLADESK_STAFF_HOURS);
  }

  /** Notifications of escalations are checked with, and reported to, this observer. */
  observe(observer: DeliveryObserver): void {
    this.observer = observer;
  }

  async notify(input: NotifyInput, now = new Date()): Promise<void> {
    const sendAfter = input.critical ? now : this.hours.nextWorkingInstant(now, input.to.timeZone, input.to.workingHours);
    const id = stableId('ntf', input.key);
    if (await this.model.exists({ _id: id })) return;
    // Both before the notification: a crash leaves a stale entry, never a lost one.
    await this.due.notifications.schedule(id, sendAfter, now);
    if (input.caseId) await this.cases.addNotification(input.caseId, id);
    try {
      await this.model.create({
        _id: id,
        caseId: input.caseId,
        ...(input.accountId ? { accountId: input.accountId } : {}),
        escalationId: input.escalationId,
        repeat: input.repeat,
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

  /** Sends every notification that is due (found by due time, by `_id`); returns how many were attempted. */
  async dispatchDue(now = new Date()): Promise<number> {
    let attempted = 0;
    for (;;) {
      const entries = await this.due.notifications.due(now, BATCH);
      let kept = 0;
      for (const entry of entries) {
        try {
          const outcome = await this.dispatch(entry, now);
          if (outcome === 'kept') kept += 1;
          if (outcome === 'attempted') attempted += 1;
        } catch (e) {
          this.logger.warn(`notification ${entry.id} not dispatched, will retry: ${(e as Error).message}`);
          await this.due.notifications.schedule(entry.id, new Date(Date.now() + this.config.SLADESK_NOTIFY_RETRY_MS));
          await this.due.notifications.done(entry);
        }
      }
      // A full batch may have more behind it, unless all of it is waiting for its writer.
      if (entries.length < BATCH || kept === entries.length) return attempted;
      now = new Date();
    }
  }

  /** Claims and delivers one due notification; an entry whose notification needs nothing now is dropped. */
  private async dispatch(entry: DueEntry, now: Date): Promise<'attempted' | 'dropped' | 'kept'> {
    const claimUntil = new Date(now.getTime() + LEASE_MS);
    const n = await this.model
      .findOneAndUpdate(
        { _id: entry.id, state: 'pending', sendAfter: mongoose.trusted({ $lte: now }), leaseUntil: mongoose.trusted({ $lte: now }) },
        { $set: { leaseUntil: claimUntil } },
        { new: true },
      )
      .lean<Notification>();
    if (!n) {
      const current = await this.model.findById(entry.id, { state: 1, sendAfter: 1, leaseUntil: 1 }).lean<Notification>();
      if (!current && !DueIndex.settled(entry, now)) return 'kept'; // its writer is about to create it: look again next pass
      if (current?.state === 'pending') {
        // Leased by another dispatcher (which may crash) or due later: make sure it is looked at again then.
        const next = Math.max(current.sendAfter.getTime(), current.leaseUntil.getTime());
        await this.due.notifications.schedule(entry.id, new Date(next), now);
      }
      await this.due.notifications.done(entry);
      return 'dropped';
    }
    if (n.escalationId && this.observer && !(await this.observer.stillWanted(n, now))) {
      await this.model.updateOne({ _id: n._id, leaseUntil: claimUntil }, { $set: { state: 'cancelled', leaseUntil: new Date(0) } });
      await this.due.notifications.done(entry);
      return 'dropped';
    }
    await this.deliver(n, claimUntil);
    await this.due.notifications.done(entry);
    return 'attempted';
  }

  private async deliver(n: Notification, lease: Date): Promise<void> {
    const attempts = n.attempts + 1;
    let settled: { delivered: boolean; at: Date } | undefined;
    const base = {
      notificationId: n._id,
      ...(n.caseId ? { caseId: n.caseId } : {}),
      ...(n.accountId ? { accountId: n.accountId } : {}),
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
      settled = { delivered: true, at };
    } catch (e) {
      const error = (e as Error).message.slice(0, 500);
      const final = attempts >= this.config.SLADESK_NOTIFY_MAX_ATTEMPTS;
      const at = new Date();
      const retryAt = new Date(at.getTime() + this.config.SLADESK_NOTIFY_RETRY_MS * 2 ** (attempts - 1));
      this.logger.warn(`notification ${n._id} attempt ${attempts} failed${final ? ' (giving up)' : ''}: ${error}`);
      if (!final) await this.due.notifications.schedule(n._id, retryAt, at);
      await this.model.updateOne(
        { _id: n._id, leaseUntil: lease },
        {
          $set: { state: final ? 'failed' : 'pending', attempts, lastError: error, sendAfter: final ? n.sendAfter : retryAt, leaseUntil: new Date(0) },
          $push: { outbox: outboxEvent(EscalationEvents.NotificationFailed, { ...base, error, final, at: at.toISOString() }) },
        },
      );
      if (final) settled = { delivered: false, at };
    }
    this.relay.published(this.model, n._id);
    if (settled && n.escalationId && this.observer) {
      // Lost in a crash here, it is recovered by the escalation's delivery check (see EscalationService).
      await this.observer.settled(n, settled.delivered, settled.at).catch((e) =>
        this.logger.warn(`escalation ${n.escalationId} not told about notification ${n._id}: ${(e as Error).message}`),
      );
    }
  }

  /** Notifications by `_id` (absent ones left out). */
  async byIds(ids: string[]): Promise<Notification[]> {
    const docs = await Promise.all(ids.map((id) => this.model.findById(id, { outbox: 0 }).lean<Notification>()));
    return docs.filter((n): n is Notification => n !== null);
  }

  async list(q: ListNotificationsQuery): Promise<Page<NotificationView>> {
    const limit = q.limit ?? 50;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = q.caseId ? await this.ofCase(q, after, limit) : await this.query(q, after, limit);
    return pageOf(rows, limit, toNotificationView);
  }

  /** One case's notifications, by `_id` from the case. */
  private async ofCase(q: ListNotificationsQuery, after: string | undefined, limit: number): Promise<Notification[]> {
    const ids = ((await this.cases.get(q.caseId!))?.notificationIds ?? []).filter((id) => !after || id > after).sort();
    const rows: Notification[] = [];
    for (let i = 0; i < ids.length && rows.length <= limit; i += 32) {
      const docs = await Promise.all(ids.slice(i, i + 32).map((id) => this.model.findById(id, { outbox: 0 }).lean<Notification>()));
      for (const n of docs) {
        if (n && (!q.escalationId || n.escalationId === q.escalationId) && (!q.state || n.state === q.state)) rows.push(n);
      }
    }
    return rows.slice(0, limit + 1);
  }

  /** Any other filter is a query: served by MongoDB's indexes; on FerretDB it reads the collection. */
  private query(q: ListNotificationsQuery, after: string | undefined, limit: number): Promise<Notification[]> {
    const filter: Record<string, unknown> = {};
    if (q.escalationId) filter.escalationId = q.escalationId;
    if (q.state) filter.state = q.state;
    if (after) filter._id = mongoose.trusted({ $gt: after });
    return this.model.find(filter, { outbox: 0 }).sort({ _id: 1 }).limit(limit + 1).lean<Notification[]>();
  }
}
