import { NotificationState, NotificationView } from '@sladesk/contracts';
import { Delivery } from '@sladesk/outbound';

/** The outbound topic of staff notifications: escalation owns its deliveries (see NotificationService). */
export const NOTIFICATION_TOPIC = 'escalation';

export interface Recipient {
  staffId?: string;
  name: string;
  email: string;
}

/**
 * One message to one person, as escalation reads it: a delivery of `@sladesk/outbound` (topic
 * `escalation`, `_id` = `ntf_…` derived from its cause), its escalation facts kept in `refs`.
 */
export interface Notification {
  _id: string;
  caseId?: string;
  accountId?: string;
  escalationId?: string;
  /** Which notification of its escalation this is: 0 the first, then each reminder. */
  repeat?: number;
  incidentId?: string;
  recipient: Recipient;
  channels: ('email' | 'intercom')[];
  subject: string;
  text: string;
  critical: boolean;
  state: NotificationState;
  /** Not before: the recipient's next working hour for non-critical ones, or the next retry. */
  sendAfter: Date;
  attempts: number;
  sentAt?: Date;
  lastError?: string;
  createdAt: Date;
  /** When the latest attempt ended (or when it was created). */
  updatedAt: Date;
}

/** The escalation facts of a notification, as outbound `refs` (strings). */
export interface NotificationFacts {
  caseId?: string;
  escalationId?: string;
  repeat?: number;
  incidentId?: string;
  staffId?: string;
  critical: boolean;
}

export const refsOf = (f: NotificationFacts): Record<string, string> => ({
  ...(f.caseId ? { caseId: f.caseId } : {}),
  ...(f.escalationId ? { escalationId: f.escalationId } : {}),
  ...(f.repeat !== undefined && f.repeat !== null ? { repeat: String(f.repeat) } : {}),
  ...(f.incidentId ? { incidentId: f.incidentId } : {}),
  ...(f.staffId ? { staffId: f.staffId } : {}),
  critical: String(f.critical),
});

/** The mail headers of a notification (the fault suite counts mails by the first). */
export const headersOf = (id: string, caseId?: string): Record<string, string> => ({
  'X-Sladesk-Notification-Id': id,
  ...(caseId ? { 'X-Sladesk-Case-Id': caseId } : {}),
});

export const notificationOf = (d: Delivery): Notification => {
  const r = d.refs ?? {};
  return {
    _id: d._id,
    ...(r.caseId ? { caseId: r.caseId } : {}),
    ...(d.accountId ? { accountId: d.accountId } : {}),
    ...(r.escalationId ? { escalationId: r.escalationId } : {}),
    ...(r.repeat !== undefined ? { repeat: Number(r.repeat) } : {}),
    ...(r.incidentId ? { incidentId: r.incidentId } : {}),
    recipient: { ...(r.staffId ? { staffId: r.staffId } : {}), name: d.toName ?? d.to, email: d.to },
    // Staff notifications are mail (outbound's other channels are for customers).
    channels: [d.channel as Notification['channels'][number]],
    subject: d.subject,
    text: d.text,
    critical: r.critical === 'true',
    state: d.state,
    sendAfter: new Date(d.nextAttemptAt),
    attempts: d.attempts,
    ...(d.sentAt ? { sentAt: new Date(d.sentAt) } : {}),
    ...(d.lastError ? { lastError: d.lastError } : {}),
    createdAt: new Date(d.createdAt),
    updatedAt: new Date(d.lastAttemptAt ?? d.createdAt),
  };
};

export const toNotificationView = (n: Notification): NotificationView => ({
  id: n._id,
  ...(n.caseId ? { caseId: n.caseId } : {}),
  ...(n.escalationId ? { escalationId: n.escalationId } : {}),
  ...(n.incidentId ? { incidentId: n.incidentId } : {}),
  recipient: { ...(n.recipient.staffId ? { staffId: n.recipient.staffId } : {}), name: n.recipient.name, email: n.recipient.email },
  channels: n.channels,
  subject: n.subject,
  text: n.text,
  critical: n.critical,
  state: n.state,
  sendAfter: n.sendAfter.toISOString(),
  attempts: n.attempts,
  ...(n.sentAt ? { sentAt: n.sentAt.toISOString() } : {}),
  ...(n.lastError ? { lastError: n.lastError } : {}),
  createdAt: n.createdAt.toISOString(),
});
