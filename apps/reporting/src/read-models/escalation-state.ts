import { EscalatedPayload, EscalationAcknowledgedPayload, EscalationLevel, EscalationReason, EventEnvelope, Events } from '@sladesk/contracts';
import { Contribution } from './buckets';
import { Reducer } from './entity-projection';
import { bucketOf } from './histogram';

/** Counters of events that belong to no account (an incident's escalation) go to this pseudo-account. */
export const NO_ACCOUNT = '_none';

export interface EscalationState {
  escalationId: string;
  caseId?: string;
  incidentId?: string;
  accountId?: string;
  /** The first notification: its instant, level, reason and detail define the escalation. */
  first?: { at: string; id: string; level: EscalationLevel; reason: EscalationReason; detail: string };
  /** Highest repeat seen (0: never repeated). */
  repeats: number;
  recipients: string[];
  ack?: { at: string; id: string; by: string; level: EscalationLevel };
  day?: string;
}

const iso = (s: string): string => new Date(s).toISOString();
const earlier = <T extends { at: string; id: string }>(a: T | undefined, b: T): T =>
  !a || b.at < a.at || (b.at === a.at && b.id < a.id) ? b : a;

export function applyEscalationEvent(s: EscalationState, e: EventEnvelope): EscalationState {
  if (e.type === Events.Escalated) {
    const p = e.payload as EscalatedPayload;
    const first = earlier(s.first, { at: iso(p.at), id: e.eventId, level: p.level, reason: p.reason, detail: p.detail });
    return {
      ...s,
      caseId: s.caseId ?? p.caseId,
      incidentId: s.incidentId ?? p.incidentId,
      accountId: s.accountId ?? p.accountId,
      first,
      day: first.at.slice(0, 10),
      repeats: Math.max(s.repeats, p.repeat),
      recipients: [...new Set([...s.recipients, ...p.recipients])].sort(),
    };
  }
  if (e.type === Events.EscalationAcknowledged) {
    const p = e.payload as EscalationAcknowledgedPayload;
    return { ...s, caseId: s.caseId ?? p.caseId, ack: earlier(s.ack, { at: iso(p.at), id: e.eventId, by: p.by, level: p.level }) };
  }
  return s;
}

/** Counted on the day of the first notification, per level and reason; time to acknowledge in wall-clock seconds. */
export function escalationContributions(s: EscalationState): Contribution[] {
  if (!s.first || !s.day) return [];
  const k = `e.${s.first.level}.${s.first.reason}`;
  const inc: Record<string, number> = { 'e.n': 1, [`${k}.n`]: 1 };
  if (s.repeats) inc[`${k}.rep`] = s.repeats;
  if (s.ack) {
    const seconds = Math.max(0, Math.round((Date.parse(s.ack.at) - Date.parse(s.first.at)) / 1000));
    inc[`${k}.ack`] = 1;
    inc[`${k}.ackh.${bucketOf(seconds)}`] = 1;
    inc[`${k}.acks`] = seconds;
  }
  return [{ day: s.day, accountId: s.accountId ?? NO_ACCOUNT, inc }];
}

export const escalationReducer: Reducer<EscalationState> = {
  kind: 'esc',
  empty: (escalationId) => ({ escalationId, repeats: 0, recipients: [] }),
  apply: applyEscalationEvent,
  contributions: escalationContributions,
};
