import { DeliveryOutcomesPayload, EventEnvelope, Events } from '@sladesk/contracts';
import { Contribution } from './buckets';
import { Reducer } from './entity-projection';
import { NO_ACCOUNT } from './escalation-state';

/**
 * One delivery outcome, whatever published it: escalation's `notification.sent|failed`, or any other
 * `sladesk.evt.<context>.<…sent|failed>.vN` carrying a recipient and a subject (customer notices of
 * maintenance windows and advisories), read tolerantly by `noticeFactOf`; or one of the deliveries an
 * `outbound.outcomes` event lists (`noticeFactsOf`).
 */
export interface NoticeFact {
  id: string;
  /** The context that sent it: `escalation`, `outbound`, `maintenance` … */
  source: string;
  /** What it is about: `escalation`, `window.reminder`, `advisory` … */
  topic: string;
  outcome: 'sent' | 'failed';
  to: string;
  staffId?: string;
  channels: string[];
  subject: string;
  attempts: number;
  error?: string;
  final?: boolean;
  at: string;
  caseId?: string;
  escalationId?: string;
  accountId?: string;
}

export interface NoticeState {
  noticeId: string;
  source?: string;
  topic?: string;
  to?: string;
  staffId?: string;
  channels: string[];
  subject?: string;
  caseId?: string;
  escalationId?: string;
  accountId?: string;
  /** The first attempt's instant places the notice in a day. */
  firstAt?: string;
  day?: string;
  /** Sent wins over failed (a retry that got through); otherwise the latest attempt. */
  outcome?: { v: 'sent' | 'failed'; at: string; attempts: number; error?: string; final?: boolean; id: string };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length ? v : undefined);
const OUTCOME_SUBJECT = /^sladesk\.evt\.([a-z0-9-]+)\.(?:[a-z0-9-]*-)?(sent|failed)\.v\d+$/;

/**
 * Every delivery outcome an event reports, each with the event id it is applied under: one for a
 * single outcome event (its own id), one per delivery listed by `outbound.outcomes` (the id of the
 * single event of that attempt, so an attempt reported both ways counts once), none for other events.
 */
export function noticeFactsOf(e: EventEnvelope): { eventId: string; fact: NoticeFact }[] {
  if (e.type === Events.DeliveryOutcomes) {
    const p = (e.payload ?? {}) as Partial<DeliveryOutcomesPayload>;
    const out: { eventId: string; fact: NoticeFact }[] = [];
    for (const o of Array.isArray(p.outcomes) ? p.outcomes : []) {
      if (!o || typeof o !== 'object' || !str(o.eventId) || (o.outcome !== 'sent' && o.outcome !== 'failed')) continue;
      const { eventId, outcome, refs, ...single } = o;
      const one = noticeFactOf({ ...e, eventId, type: outcome === 'sent' ? Events.DeliverySent : Events.DeliveryFailed, payload: { ...single, noticeId: p.noticeId, source: p.source, topic: p.topic, refs: refs ?? p.refs } });
      if (one) out.push({ eventId, fact: one });
    }
    return out;
  }
  const fact = noticeFactOf(e);
  return fact ? [{ eventId: e.eventId, fact }] : [];
}

/** The notice an event reports, or null when the event is not a single delivery outcome. */
export function noticeFactOf(e: EventEnvelope): NoticeFact | null {
  const m = OUTCOME_SUBJECT.exec(e.type);
  if (!m) return null;
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const to = str(p.to) ?? str(p.email) ?? str(p.recipient);
  const subject = str(p.subject) ?? str(p.title);
  const at = str(p.at) ?? e.occurredAt;
  if (!to || !subject || Number.isNaN(Date.parse(at))) return null;
  const escalation = e.type === Events.NotificationSent || e.type === Events.NotificationFailed;
  const channels = Array.isArray(p.channels) ? p.channels.filter((c): c is string => typeof c === 'string') : str(p.channel) ? [str(p.channel)!] : [];
  return {
    id: str(p.deliveryId) ?? str(p.notificationId) ?? str(p.noticeId) ?? e.eventId,
    source: escalation ? 'escalation' : str(p.source) ?? m[1],
    topic: escalation ? 'escalation' : str(p.topic) ?? str(p.kind) ?? m[1],
    outcome: m[2] as 'sent' | 'failed',
    to,
    staffId: str(p.staffId),
    channels,
    subject,
    attempts: typeof p.attempts === 'number' ? p.attempts : 1,
    error: str(p.error),
    final: typeof p.final === 'boolean' ? p.final : undefined,
    at: new Date(at).toISOString(),
    caseId: str(p.caseId),
    escalationId: str(p.escalationId),
    accountId: str(p.accountId),
  };
}

const rank = (o: NonNullable<NoticeState['outcome']>) => [o.v === 'sent' ? 1 : 0, o.at, o.attempts, o.id] as const;
const better = (a: NoticeState['outcome'], b: NonNullable<NoticeState['outcome']>) => {
  if (!a) return b;
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return y[i] > x[i] ? b : a;
  return a;
};

/** The event's payload is a NoticeFact (the projector normalises it). */
export function applyNoticeEvent(s: NoticeState, e: EventEnvelope): NoticeState {
  const f = e.payload as NoticeFact;
  const firstAt = !s.firstAt || f.at < s.firstAt ? f.at : s.firstAt;
  return {
    ...s,
    source: s.source ?? f.source,
    topic: s.topic ?? f.topic,
    to: s.to ?? f.to,
    staffId: s.staffId ?? f.staffId,
    channels: [...new Set([...s.channels, ...f.channels])].sort(),
    subject: s.subject ?? f.subject,
    caseId: s.caseId ?? f.caseId,
    escalationId: s.escalationId ?? f.escalationId,
    accountId: s.accountId ?? f.accountId,
    firstAt,
    day: firstAt.slice(0, 10),
    outcome: better(s.outcome, { v: f.outcome, at: f.at, attempts: f.attempts, ...(f.error ? { error: f.error } : {}), ...(f.final !== undefined ? { final: f.final } : {}), id: e.eventId }),
  };
}

export function noticeContributions(s: NoticeState): Contribution[] {
  if (!s.day || !s.outcome) return [];
  return [{ day: s.day, accountId: s.accountId ?? NO_ACCOUNT, inc: { 'n.total': 1, [`n.${s.outcome.v}`]: 1 } }];
}

export const noticeReducer: Reducer<NoticeState> = {
  kind: 'notice',
  empty: (noticeId) => ({ noticeId, channels: [] }),
  apply: applyNoticeEvent,
  contributions: noticeContributions,
};
