import {
  CaseAssignedPayload,
  CaseOpenedPayload,
  CaseReclassifiedPayload,
  CaseReopenedPayload,
  CaseResolvedPayload,
  CaseRespondedPayload,
  CaseStatus,
  CaseStatusChangedPayload,
  CaseTimelineAppendedPayload,
  Category,
  Channel,
  ContactErasedPayload,
  EventEnvelope,
  Events,
  Severity,
  SlaBreachedPayload,
  SlaClockEventPayload,
  SlaMetPayload,
} from '@sladesk/contracts';
import { createHash } from 'node:crypto';
import { Contribution } from './buckets';
import { Reducer } from './entity-projection';
import { bucketOf } from './histogram';

/** A value with the instant it was set and the event that set it: the later one wins, ties by event id. */
export interface Stamped<T> {
  v: T;
  at: string;
  id: string;
}

/** One step of the record, as the support record prints it (full entries are in rm_case_entries). */
export interface StepSummary {
  kind: string;
  at: string;
  actor: string;
  text: string;
  /** The actor is the case's contact (their name is personal data; staff names are not erased). */
  contact?: true;
}

export interface ClockFacts {
  clock: string;
  cycle: number;
  /** The latest fulfilment (a reopened case can be resolved again). */
  met?: { at: string; id: string; withinGoal: boolean; elapsed: number; clause: string };
  /** The first time the goal was missed while running. */
  breach?: { at: string; id: string; clause: string; dueAt?: string };
}

export interface CaseState {
  caseId: string;
  accountId?: string;
  number?: number;
  channel?: Channel;
  severity?: Stamped<Severity>;
  category?: Stamped<Category>;
  /** When the customer asked, and its UTC day and month: where the case counts. */
  receivedAt?: string;
  day?: string;
  month?: string;
  contact?: { name: string; email?: string };
  subject?: string;
  description?: string;
  status?: Stamped<CaseStatus>;
  assigneeId?: Stamped<string | null>;
  firstResponse?: { at: string; by: string; id: string };
  resolved?: { at: string; by: string; id: string };
  reopened?: { at: string; id: string };
  reopenCount: number;
  /** The latest analysis and resolution summary, by timeline position. */
  analysis?: { seq: number; text: string };
  resolutionSummary?: { seq: number; text: string };
  /** Sequence numbers of every timeline entry received, and the first INLINE_STEPS of them in full. */
  seqs: number[];
  steps: Record<string, StepSummary>;
  clocks: Record<string, ClockFacts>;
  /** Set by `contact.erased`: every later event is merged without the person's data (see `withoutPersonalData`). */
  erased?: { pseudonym: string; at: string; id: string };
}

/** Steps kept inside the case document; a longer timeline is read from rm_case_entries when exported. */
export const INLINE_STEPS = 200;
/** Texts inside the case document are cut here (the entry documents keep them whole). */
export const INLINE_TEXT = 4000;

const iso = (s: string): string => new Date(s).toISOString();
const later = <T extends { at: string; id: string }>(a: T | undefined, b: T): T =>
  !a || b.at > a.at || (b.at === a.at && b.id > a.id) ? b : a;
const earlier = <T extends { at: string; id: string }>(a: T | undefined, b: T): T =>
  !a || b.at < a.at || (b.at === a.at && b.id < a.id) ? b : a;

export const clauseKey = (clause: string): string => createHash('sha1').update(clause).digest('hex').slice(0, 12);

/** Whether the case is resolved now: its latest resolution came after its latest reopening. */
export const isResolved = (s: CaseState): boolean => !!s.resolved && (!s.reopened || s.resolved.at > s.reopened.at);

export type GoalOutcome = 'met' | 'missed' | 'pending';

/** A clock's outcome: decided by its latest fact, a fulfilment (in time or late) or a breach. */
export function outcomeOf(c: ClockFacts | undefined): GoalOutcome {
  if (!c || (!c.met && !c.breach)) return 'pending';
  if (c.met && (!c.breach || c.met.at >= c.breach.at)) return c.met.withinGoal ? 'met' : 'missed';
  return 'missed';
}

function withClock(s: CaseState, p: SlaClockEventPayload, change: (c: ClockFacts) => ClockFacts): CaseState {
  const key = `${p.clock}:${p.cycle}`;
  const current = s.clocks[key] ?? { clock: p.clock, cycle: p.cycle };
  return { ...s, accountId: s.accountId ?? p.accountId, clocks: { ...s.clocks, [key]: change(current) } };
}

function withEntries(s: CaseState, p: CaseTimelineAppendedPayload): CaseState {
  let next: CaseState = { ...s, accountId: s.accountId ?? p.accountId, seqs: [...s.seqs], steps: { ...s.steps } };
  for (const e of p.entries) {
    if (!next.seqs.includes(e.seq)) next.seqs.push(e.seq);
    if (e.seq <= INLINE_STEPS) {
      next.steps[String(e.seq)] = { kind: e.kind, at: iso(e.at), actor: e.actor.name, text: e.text.slice(0, INLINE_TEXT), ...(e.actor.kind === 'contact' ? { contact: true as const } : {}) };
    }
    if (e.kind === 'opened') {
      const data = (e.data ?? {}) as { subject?: unknown; contactEmail?: unknown; channel?: unknown };
      next = {
        ...next,
        contact: { name: e.actor.name, ...(typeof data.contactEmail === 'string' ? { email: data.contactEmail } : {}) },
        ...(typeof data.subject === 'string' ? { subject: data.subject } : {}),
        description: e.text,
      };
    }
    if (e.kind === 'analysis' && (!next.analysis || e.seq > next.analysis.seq)) next.analysis = { seq: e.seq, text: e.text };
    if (e.kind === 'resolved' && (!next.resolutionSummary || e.seq > next.resolutionSummary.seq)) {
      next.resolutionSummary = { seq: e.seq, text: e.text };
    }
  }
  next.seqs.sort((a, b) => a - b);
  return next;
}

/**
 * The case without its contact's personal data (GDPR Art. 17): the contact becomes the pseudonym, the
 * subject `[erased]`, every free text empty. Applied after every event once the case is erased, so an
 * event that was in flight when the erasure arrived cannot bring the data back, in any order.
 */
export function withoutPersonalData(s: CaseState): CaseState {
  if (!s.erased) return s;
  const { pseudonym } = s.erased;
  const name = s.contact?.name;
  const steps = Object.fromEntries(
    Object.entries(s.steps).map(([k, st]) => [k, { ...st, text: '', ...(st.contact || (name && st.actor === name) ? { actor: pseudonym, contact: true as const } : {}) }]),
  );
  return {
    ...s,
    contact: { name: pseudonym, email: `${pseudonym}@erased.invalid` },
    ...(s.subject !== undefined ? { subject: '[erased]' } : {}),
    ...(s.description !== undefined ? { description: '' } : {}),
    ...(s.analysis ? { analysis: { ...s.analysis, text: '' } } : {}),
    ...(s.resolutionSummary ? { resolutionSummary: { ...s.resolutionSummary, text: '' } } : {}),
    steps,
  };
}

export function applyCaseEvent(s: CaseState, e: EventEnvelope): CaseState {
  return withoutPersonalData(applyCaseFact(s, e));
}

function applyCaseFact(s: CaseState, e: EventEnvelope): CaseState {
  const id = e.eventId;
  switch (e.type) {
    case Events.ContactErased: {
      const p = e.payload as ContactErasedPayload;
      // The first erasure names the pseudonym (intake gives one case one pseudonym: the first erasure's).
      return { ...s, erased: s.erased && s.erased.at <= iso(p.at) ? s.erased : { pseudonym: p.pseudonym, at: iso(p.at), id } };
    }
    case Events.CaseOpened: {
      const p = e.payload as CaseOpenedPayload;
      const receivedAt = iso(p.receivedAt);
      return {
        ...s,
        accountId: p.accountId,
        number: p.number,
        channel: p.channel,
        receivedAt,
        day: receivedAt.slice(0, 10),
        month: receivedAt.slice(0, 7),
        // Stamped before any instant: a reclassification, whenever it arrives, wins over the opening.
        severity: later(s.severity, { v: p.severity, at: '', id }),
        category: later(s.category, { v: p.category, at: '', id }),
      };
    }
    case Events.CaseReclassified: {
      const p = e.payload as CaseReclassifiedPayload;
      const at = iso(p.at);
      return { ...s, accountId: s.accountId ?? p.accountId, severity: later(s.severity, { v: p.severity, at, id }), category: later(s.category, { v: p.category, at, id }) };
    }
    case Events.CaseResponded: {
      const p = e.payload as CaseRespondedPayload;
      return { ...s, accountId: s.accountId ?? p.accountId, firstResponse: earlier(s.firstResponse, { at: iso(p.at), by: p.by.name, id }) };
    }
    case Events.CaseStatusChanged: {
      const p = e.payload as CaseStatusChangedPayload;
      return { ...s, accountId: s.accountId ?? p.accountId, status: later(s.status, { v: p.to, at: iso(p.at), id }) };
    }
    case Events.CaseAssigned: {
      const p = e.payload as CaseAssignedPayload;
      return { ...s, accountId: s.accountId ?? p.accountId, assigneeId: later(s.assigneeId, { v: p.assigneeId ?? null, at: iso(p.at), id }) };
    }
    case Events.CaseResolved: {
      const p = e.payload as CaseResolvedPayload;
      return { ...s, accountId: s.accountId ?? p.accountId, resolved: later(s.resolved, { at: iso(p.at), by: p.by.name, id }) };
    }
    case Events.CaseReopened: {
      const p = e.payload as CaseReopenedPayload;
      return { ...s, accountId: s.accountId ?? p.accountId, reopened: later(s.reopened, { at: iso(p.at), id }), reopenCount: Math.max(s.reopenCount, p.reopenCount) };
    }
    case Events.CaseTimelineAppended:
      return withEntries(s, e.payload as CaseTimelineAppendedPayload);
    case Events.SlaMet: {
      const p = e.payload as SlaMetPayload;
      return withClock(s, p, (c) => ({
        ...c,
        met: later(c.met, { at: iso(p.at), id, withinGoal: p.withinGoal, elapsed: p.elapsedBusinessSeconds, clause: p.goal.clause }),
      }));
    }
    case Events.SlaBreached: {
      const p = e.payload as SlaBreachedPayload;
      return withClock(s, p, (c) => ({
        ...c,
        breach: earlier(c.breach, { at: iso(p.at), id, clause: p.goal.clause, ...(p.dueAt ? { dueAt: iso(p.dueAt) } : {}) }),
      }));
    }
    default:
      return s;
  }
}

/** The counters a case moves, on the day it was received: nothing until `case.opened` placed it. */
export function caseContributions(s: CaseState): Contribution[] {
  if (!s.receivedAt || !s.accountId || !s.day) return [];
  const sev = s.severity?.v ?? 'normal';
  const inc: Record<string, number> = { cases: 1, [`s.${sev}.cases`]: 1 };
  if (s.channel) inc[`ch.${s.channel}`] = 1;
  if (s.category) inc[`cat.${s.category.v}`] = 1;
  for (const [clock, prefix] of [
    ['first_response:1', 'fr'],
    ['resolution:1', 'res'],
  ] as const) {
    const c = s.clocks[clock];
    const outcome = outcomeOf(c);
    if (outcome === 'pending') continue;
    inc[`s.${sev}.${prefix}.${outcome}`] = 1;
    if (c?.met) {
      inc[`s.${sev}.${prefix}.h.${bucketOf(c.met.elapsed)}`] = 1;
      inc[`s.${sev}.${prefix}.sum`] = c.met.elapsed;
    }
  }
  for (const c of Object.values(s.clocks)) {
    if (!c.breach) continue;
    inc[`s.${sev}.breaches`] = (inc[`s.${sev}.breaches`] ?? 0) + 1;
    inc[`clause.${clauseKey(c.breach.clause)}`] = (inc[`clause.${clauseKey(c.breach.clause)}`] ?? 0) + 1;
    inc[`bk.${c.clock}`] = (inc[`bk.${c.clock}`] ?? 0) + 1;
  }
  if (isResolved(s)) inc[`s.${sev}.resolved`] = 1;
  if (s.reopenCount > 0) inc.reopened = 1;
  return [{ day: s.day, accountId: s.accountId, inc }];
}

export const caseReducer: Reducer<CaseState> = {
  kind: 'case',
  empty: (caseId) => ({ caseId, reopenCount: 0, seqs: [], steps: {}, clocks: {} }),
  apply: applyCaseEvent,
  contributions: caseContributions,
};

/** Subjects the case projection reads. */
export const CASE_SUBJECTS: readonly string[] = [
  Events.CaseOpened,
  Events.CaseReclassified,
  Events.CaseResponded,
  Events.CaseStatusChanged,
  Events.CaseAssigned,
  Events.CaseResolved,
  Events.CaseReopened,
  Events.CaseTimelineAppended,
  Events.SlaMet,
  Events.SlaBreached,
];
