import { DeliveryOutcomePayload, EscalationEvents, EventEnvelope, ListNotificationsQuery, NotificationOutcomePayload, NotificationView, Page } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Delivery, Outbound } from '@sladesk/outbound';
import { decodeCursor, pageOf } from '@sladesk/persistence';
import { Injectable, OnModuleInit } from '@nestjs/common';
import mongoose from 'mongoose';
import { createHash } from 'node:crypto';
import { EscalationEnv } from '../config';
import { DirStaff } from '../directory/directory.schema';
import { CaseProjection } from '../cases/case-projection.service';
import { headersOf, Notification, NOTIFICATION_TOPIC, notificationOf, refsOf, toNotificationView } from './notification.schema';
import { WorkingHours } from './working-hours';

export const stableId = (prefix: string, ...parts: string[]) =>
  `${prefix}_${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22)}`;

const LIST_PROJECTION = { html: 0, headers: 0 };

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
 * Staff notifications, delivered by `@sladesk/outbound` (topic `escalation`): each created once (its
 * `_id` is derived from its cause), held until the recipient's working hours unless critical (outbound's
 * `notBefore`), sent by SMTP with retries. This service owns the topic's hooks: the escalation is asked
 * whether a notification is still wanted before each attempt and told when it settled, and the outcomes
 * are published as `notification.sent` / `notification.failed` (not `outbound.*`: intake's timeline and
 * reporting read these subjects).
 */
@Injectable()
export class NotificationService implements OnModuleInit {
  private readonly hours: WorkingHours;
  private observer?: DeliveryObserver;

  constructor(
    private readonly outbound: Outbound,
    config: EscalationEnv,
    private readonly cases: CaseProjection,
  ) {
    this.hours = new WorkingHours(config.SLADESK_STAFF_TIMEZONE, config.SLADESK_STAFF_HOURS);
  }

  /** Notifications of escalations are checked with, and reported to, this observer. */
  observe(observer: DeliveryObserver): void {
    this.observer = observer;
  }

  onModuleInit(): void {
    this.outbound.handle(NOTIFICATION_TOPIC, {
      stillWanted: async (d) => {
        const n = notificationOf(d);
        return !n.escalationId || !this.observer || this.observer.stillWanted(n, new Date());
      },
      // Lost in a crash here, it is recovered by the escalation's delivery check (see EscalationService).
      settled: async (d, outcome) => {
        const n = notificationOf(d);
        if (n.escalationId && this.observer) await this.observer.settled(n, outcome.delivered, outcome.at);
      },
      event: (outcome, d, p) => outcomeEvent(outcome, notificationOf(d), p),
    });
  }

  async notify(input: NotifyInput, now = new Date()): Promise<void> {
    const sendAfter = input.critical ? now : this.hours.nextWorkingInstant(now, input.to.timeZone, input.to.workingHours);
    const id = stableId('ntf', input.key);
    if (await this.outbound.model.exists({ _id: id })) return;
    if (input.caseId) await this.cases.addNotification(input.caseId, id);
    await this.outbound.enqueue(
      {
        noticeId: id,
        topic: NOTIFICATION_TOPIC,
        batchKey: id,
        messages: [
          {
            id,
            channel: 'email',
            to: input.to.email,
            toName: input.to.name,
            subject: input.subject,
            text: input.text,
            headers: headersOf(id, input.caseId),
            ...(input.accountId ? { accountId: input.accountId } : {}),
            refs: refsOf({ ...input, staffId: input.to._id }),
            notBefore: sendAfter,
          },
        ],
      },
      now,
    );
  }

  /** Attempts the notifications (and retries) due at `now`; outbound's own ticker does the same on real time. */
  dispatchDue(now = new Date()): Promise<void> {
    return this.outbound.dispatchDue(now);
  }

  /** Notifications by `_id` (absent ones left out). */
  async byIds(ids: string[]): Promise<Notification[]> {
    const docs = await Promise.all(ids.map((id) => this.outbound.findById(id)));
    return docs.filter((d): d is Delivery => d !== null && d.topic === NOTIFICATION_TOPIC).map(notificationOf);
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
      for (const n of await this.byIds(ids.slice(i, i + 32))) {
        if ((!q.escalationId || n.escalationId === q.escalationId) && (!q.state || n.state === q.state)) rows.push(n);
      }
    }
    return rows.slice(0, limit + 1);
  }

  /** Any other filter is a query: served by MongoDB's indexes (not `escalationId`); on FerretDB it reads the collection. */
  private async query(q: ListNotificationsQuery, after: string | undefined, limit: number): Promise<Notification[]> {
    const filter: Record<string, unknown> = { source: 'escalation', topic: NOTIFICATION_TOPIC };
    if (q.state) filter.state = q.state;
    if (q.escalationId) filter['refs.escalationId'] = q.escalationId;
    if (after) filter._id = mongoose.trusted({ $gt: after });
    const rows = await this.outbound.model.find(filter, LIST_PROJECTION).sort({ _id: 1 }).limit(limit + 1).lean<Delivery[]>();
    return rows.map(notificationOf);
  }
}

/** The outcome events escalation has always published, from outbound's outcome of a notification. */
function outcomeEvent(outcome: 'sent' | 'failed', n: Notification, p: DeliveryOutcomePayload): EventEnvelope {
  const payload: NotificationOutcomePayload = {
    notificationId: n._id,
    ...(n.caseId ? { caseId: n.caseId } : {}),
    ...(n.accountId ? { accountId: n.accountId } : {}),
    ...(n.escalationId ? { escalationId: n.escalationId } : {}),
    ...(n.recipient.staffId ? { staffId: n.recipient.staffId } : {}),
    email: n.recipient.email,
    channels: n.channels,
    subject: n.subject,
    attempts: p.attempts,
    ...(p.error !== undefined ? { error: p.error } : {}),
    ...(p.final !== undefined ? { final: p.final } : {}),
    at: p.at,
  };
  return outcome === 'sent' ? outboxEvent(EscalationEvents.NotificationSent, payload) : outboxEvent(EscalationEvents.NotificationFailed, payload);
}
