/**
 * The SLA clocks of one case as a pure function of its history.
 *
 * A case's history is an append-only list of facts (case events, policy changes, fired timers), each with
 * the instant it happened. Facts may arrive in any order (one JetStream consumer per subject), so the clocks
 * are always derived from the facts sorted by their own time, never from arrival order. Recomputing after a
 * severity, policy or calendar change is the same derivation with the new goal: pause time is kept because
 * pauses are facts, not counters.
 *
 * Timers: each running clock has a warning and a breach *stage*. A stage's version is the position in the
 * log of the last fact whose arrival changed that stage's due time; `<timerId>:<version>` is the id of the
 * event a stage fires, so the same stage fired twice (two instances, a restart) is one event.
 *
 * Precision: instants are epoch milliseconds and business time is counted in milliseconds (the calendar's
 * boundaries are whole seconds, a fact's instant is not), so no due time is earlier than its goal allows: a
 * case received at …:24.9 with a goal of PT10S is due at …:34.9, never at …:34.
 */
import {
  addBusinessMilliseconds,
  businessMillisecondsBetween,
  CompiledCalendar,
  isOpen,
  parseIsoDuration,
  Pause,
  startOfNextBusinessDay,
} from '@sladesk/business-time';
import { CaseStatus, Severity, SlaClock, SlaGoalDto, SlaGoalKey, SlaGoalSpec, SlaGoalTable } from '@sladesk/contracts';

export type EntryKind = 'opened' | 'responded' | 'customer_replied' | 'status' | 'reclassified' | 'resolved' | 'reopened' | 'policy' | 'fired';

export interface CalendarRef {
  id: string;
  version: number;
}

/** The goals of the account's policy, frozen into the history when they start to apply. */
export interface PolicySnapshot {
  policyId: string;
  policyVersion: number;
  policyName: string;
  calendar: CalendarRef;
  emergencyCalendar: CalendarRef;
  warningThreshold: number;
  pauseStatuses: CaseStatus[];
  goals: SlaGoalTable;
}

/** One fact of a case's history. `at` is epoch milliseconds. */
export interface LogEntry {
  /** Unique in the history: the case event's eventId, `recompute-…`, or the fired stage's event id. */
  id: string;
  k: EntryKind;
  at: number;
  accountId?: string;
  /** opened, reclassified */
  severity?: Severity;
  /** status: the new status */
  status?: CaseStatus;
  /** reopened: by the customer (starts a next-response clock) */
  byContact?: boolean;
  /** opened, policy */
  policy?: PolicySnapshot;
  /** fired: the stage key and its threshold in business seconds when it fired (a fraction = milliseconds) */
  stage?: string;
  seconds?: number;
}

export type StageKind = 'warning' | 'breach';

export interface Exclusion {
  from: number;
  to?: number;
  reason: 'paused' | 'resolved';
  cause: string;
  endCause?: string;
}

export interface Cycle {
  /** `first_response.1`, `next_response.3`, `resolution.1` */
  key: string;
  clock: SlaClock;
  cycle: number;
  start: number;
  exclusions: Exclusion[];
  stoppedAt?: number;
  stopReason?: string;
  /** Frozen when the clock stops, so a later change of severity or policy does not rewrite a met goal. */
  frozen?: { severity: Severity; policy: PolicySnapshot };
  /** Highest threshold (business seconds) at which each stage fired, and when. */
  fired: Partial<Record<StageKind, { seconds: number; at: number }>>;
}

export interface Derived {
  opened: boolean;
  accountId?: string;
  severity: Severity;
  status: CaseStatus;
  paused: boolean;
  resolved: boolean;
  policy?: PolicySnapshot;
  cycles: Cycle[];
}

const RANK: Record<EntryKind, number> = {
  opened: 0,
  policy: 1,
  reclassified: 2,
  status: 3,
  customer_replied: 4,
  responded: 5,
  resolved: 6,
  reopened: 7,
  fired: 8,
};

const GOAL_KEY: Record<SlaClock, SlaGoalKey> = {
  first_response: 'firstResponse',
  next_response: 'nextResponse',
  resolution: 'resolution',
};

const DONE_STATUSES: readonly CaseStatus[] = ['resolved', 'closed'];

/** Folds the facts, sorted by their own time, into the clocks' cycles. */
export function derive(log: readonly LogEntry[]): Derived {
  const seen = new Set<string>();
  const unique: { e: LogEntry; i: number }[] = [];
  log.forEach((e, i) => {
    if (!seen.has(e.id)) {
      seen.add(e.id);
      unique.push({ e, i });
    }
  });
  const opened = unique.find((x) => x.e.k === 'opened')?.e;
  const floor = opened ? opened.at : -Infinity;
  // A fact dated before the case was received counts from the reception (clock skew between systems).
  const when = (e: LogEntry) => (e.k === 'opened' ? floor : Math.max(e.at, floor));
  unique.sort((a, b) => when(a.e) - when(b.e) || RANK[a.e.k] - RANK[b.e.k] || a.i - b.i);

  const s: Derived = { opened: false, severity: 'normal', status: 'new', paused: false, resolved: false, cycles: [] };
  const open = (clock: SlaClock) => s.cycles.filter((c) => c.clock === clock && c.stoppedAt === undefined).at(-1);
  const byKey = new Map<string, Cycle>();
  const start = (clock: SlaClock, at: number) => {
    const n = s.cycles.filter((c) => c.clock === clock).length + 1;
    const c: Cycle = { key: `${clock}.${n}`, clock, cycle: n, start: at, exclusions: [], fired: {} };
    if (s.paused) c.exclusions.push({ from: at, reason: 'paused', cause: `status:${s.status}` });
    s.cycles.push(c);
    byKey.set(c.key, c);
  };
  const stop = (c: Cycle | undefined, at: number, reason: string) => {
    if (!c || c.stoppedAt !== undefined) return;
    const last = c.exclusions.at(-1);
    if (last && last.to === undefined) {
      last.to = at;
      last.endCause = reason;
    }
    c.stoppedAt = at;
    c.stopReason = reason;
    c.frozen = { severity: s.severity, policy: s.policy! };
  };
  const pause = (at: number) => {
    s.paused = true;
    for (const c of s.cycles) {
      if (c.stoppedAt === undefined) c.exclusions.push({ from: at, reason: 'paused', cause: `status:${s.status}` });
    }
  };
  const resume = (at: number, cause: string) => {
    s.paused = false;
    for (const c of s.cycles) {
      const last = c.exclusions.at(-1);
      if (c.stoppedAt === undefined && last && last.to === undefined && last.reason === 'paused') {
        last.to = at;
        last.endCause = cause;
      }
    }
  };
  const resolve = (at: number) => {
    if (s.resolved || !s.opened) return;
    if (s.paused) resume(at, 'resolved');
    stop(open('first_response'), at, 'resolved');
    stop(open('next_response'), at, 'resolved');
    stop(open('resolution'), at, 'resolved');
    s.resolved = true;
  };
  const firstResponded = () => s.cycles.some((c) => c.clock === 'first_response' && c.stoppedAt !== undefined);
  const customerWrote = (at: number) => {
    if (s.opened && !s.resolved && firstResponded() && !open('next_response')) start('next_response', at);
  };
  const reopen = (at: number, byContact: boolean) => {
    if (!s.resolved) return;
    s.resolved = false;
    const r = s.cycles.find((c) => c.clock === 'resolution');
    if (r && r.stoppedAt !== undefined) {
      r.exclusions.push({ from: r.stoppedAt, to: at, reason: 'resolved', cause: 'resolved', endCause: 'reopened' });
      r.stoppedAt = undefined;
      r.stopReason = undefined;
      r.frozen = undefined;
    }
    if (byContact) customerWrote(at);
  };

  for (const { e } of unique) {
    const at = when(e);
    switch (e.k) {
      case 'opened':
        s.opened = true;
        s.accountId = e.accountId;
        s.severity = e.severity ?? s.severity;
        s.policy = e.policy;
        start('first_response', at);
        start('resolution', at);
        break;
      case 'policy':
        if (e.policy) s.policy = e.policy;
        break;
      case 'reclassified':
        if (e.severity) s.severity = e.severity;
        break;
      case 'status': {
        const to = e.status!;
        if (DONE_STATUSES.includes(to)) resolve(at);
        else if (s.resolved) reopen(at, false);
        s.status = to;
        const pausing = s.policy?.pauseStatuses.includes(to) ?? false;
        if (s.opened && !s.resolved && pausing && !s.paused) pause(at);
        else if (!pausing && s.paused) resume(at, `status:${to}`);
        break;
      }
      case 'customer_replied':
        if (s.paused) resume(at, 'customer_replied');
        customerWrote(at);
        break;
      case 'responded':
        stop(open('first_response'), at, 'responded');
        stop(open('next_response'), at, 'responded');
        break;
      case 'resolved':
        resolve(at);
        s.status = 'resolved';
        break;
      case 'reopened':
        reopen(at, e.byContact ?? false);
        s.status = 'open';
        if (s.paused) resume(at, 'reopened');
        break;
      case 'fired': {
        const [clock, n, kind] = (e.stage ?? '').split('.');
        const c = byKey.get(`${clock}.${n}`);
        if (c && (kind === 'warning' || kind === 'breach')) {
          const prev = c.fired[kind];
          if (!prev || prev.seconds < (e.seconds ?? 0)) c.fired[kind] = { seconds: e.seconds ?? 0, at: e.at };
        }
        break;
      }
    }
  }
  return s;
}

// ---- evaluation -------------------------------------------------------------------------------

export type CalendarLookup = (ref: CalendarRef) => CompiledCalendar;

export interface Evaluated {
  cycle: Cycle;
  severity: Severity;
  policy: PolicySnapshot;
  goal: SlaGoalDto;
  calendar: CompiledCalendar;
  /** The goal in business milliseconds from the start (for `next_business_day`, the time to that start included). */
  budgetMs: number;
  /** The warning threshold in business milliseconds from the start (a whole number of seconds), or null. */
  warnMs: number | null;
  warningThreshold: number;
  /** Epoch ms; null while paused with goal time left. */
  dueAt: number | null;
  warnAt: number | null;
  state: 'running' | 'paused' | 'met';
}

export function goalClause(policy: PolicySnapshot, severity: Severity, key: SlaGoalKey, g: SlaGoalSpec, cal: CalendarRef): string {
  const anchor = g.from === 'next_business_day' ? ' after the start of the next business day' : '';
  const hours = g.hours === 'emergency' ? 'emergency hours' : 'business hours';
  return `policy ${policy.policyName} (${policy.policyId} v${policy.policyVersion}) · ${severity} · ${key}: ${g.duration}${anchor}, ${hours} (calendar ${cal.id} v${cal.version})`;
}

const pausesOf = (c: Cycle, until: number): Pause[] =>
  c.exclusions
    .filter((x) => x.from < until)
    .map((x) => [new Date(x.from), new Date(Math.min(x.to ?? until, until))] as const);

/** Business milliseconds the cycle has consumed at instant t (pauses and, when stopped, the stop excluded). */
export function elapsedMsAt(ev: Pick<Evaluated, 'cycle' | 'calendar'>, t: number): number {
  const c = ev.cycle;
  const end = Math.min(t, c.stoppedAt ?? t);
  if (end <= c.start) return 0;
  const exclude = pausesOf(c, end);
  return businessMillisecondsBetween(ev.calendar, new Date(c.start), new Date(end), exclude.length ? { exclude } : undefined);
}

/**
 * Whole business seconds for display: elapsed rounded down, remaining and overdue rounded up, so a clock
 * shows 0 remaining only once its goal is used up and 0 overdue only while it is within its goal.
 */
export function businessSecondsOf(elapsedMs: number, budgetMs: number) {
  return {
    elapsedBusinessSeconds: Math.floor(elapsedMs / 1000),
    remainingBusinessSeconds: Math.ceil(Math.max(0, budgetMs - elapsedMs) / 1000),
    overdueBusinessSeconds: Math.ceil(Math.max(0, elapsedMs - budgetMs) / 1000),
  };
}

/** The instant the cycle has consumed `ms` business milliseconds, or null if a pause stops it before. */
function instantOf(ev: Pick<Evaluated, 'cycle' | 'calendar'>, ms: number): number | null {
  const c = ev.cycle;
  const openPause = c.exclusions.find((x) => x.to === undefined);
  const closed = c.exclusions.filter((x) => x.to !== undefined).map((x) => [new Date(x.from), new Date(x.to!)] as const);
  const at = addBusinessMilliseconds(ev.calendar, new Date(c.start), ms, closed.length ? { exclude: closed } : undefined).getTime();
  if (openPause && at > openPause.from) return null;
  return at;
}

export function evaluate(c: Cycle, d: Derived, calendars: CalendarLookup): Evaluated | null {
  const severity = c.frozen?.severity ?? d.severity;
  const policy = c.frozen?.policy ?? d.policy;
  if (!policy) return null;
  const key = GOAL_KEY[c.clock];
  const spec = policy.goals[severity][key];
  const ref = spec.hours === 'emergency' ? policy.emergencyCalendar : policy.calendar;
  const calendar = calendars(ref);
  let budgetMs = parseIsoDuration(spec.duration) * 1000;
  if (spec.from === 'next_business_day') {
    // "the start of the next business day": the next opening when the clock starts outside the hours (so
    // every inquiry of one closed period gets one due time), the next business day's opening inside them
    const start = new Date(c.start);
    budgetMs += businessMillisecondsBetween(calendar, start, startOfNextBusinessDay(calendar, start));
  }
  const goal: SlaGoalDto = {
    clause: goalClause(policy, severity, key, spec, ref),
    policyId: policy.policyId,
    policyVersion: policy.policyVersion,
    duration: spec.duration,
    from: spec.from,
    hours: spec.hours,
    calendarId: ref.id,
    calendarVersion: ref.version,
    businessSeconds: Math.ceil(budgetMs / 1000),
  };
  const warn = Math.ceil((budgetMs * policy.warningThreshold) / 1000) * 1000;
  const warnMs = warn > 0 && warn < budgetMs ? warn : null;
  const base = { cycle: c, calendar };
  const state = c.stoppedAt !== undefined ? 'met' : c.exclusions.some((x) => x.to === undefined) ? 'paused' : 'running';
  return {
    cycle: c,
    severity,
    policy,
    goal,
    calendar,
    budgetMs,
    warnMs,
    warningThreshold: policy.warningThreshold,
    dueAt: instantOf(base, budgetMs),
    warnAt: warnMs === null ? null : instantOf(base, warnMs),
    state,
  };
}

export function isInsideHours(ev: Evaluated, t: number): boolean {
  return isOpen(ev.calendar, new Date(t));
}

// ---- stages (timers) --------------------------------------------------------------------------

export interface Stage {
  /** `<cycle key>.<kind>`, e.g. `first_response.1.breach` */
  key: string;
  cycleKey: string;
  kind: StageKind;
  due: number;
  /** The stage's threshold in business seconds (warning: threshold × goal; breach: the goal; a fraction = ms). */
  seconds: number;
}

/** Stages still to fire: running or paused-after-the-stage clocks, not yet fired at this threshold. */
export function pendingStages(d: Derived, calendars: CalendarLookup): Map<string, Stage> {
  const out = new Map<string, Stage>();
  for (const c of d.cycles) {
    if (c.stoppedAt !== undefined) continue;
    const ev = evaluate(c, d, calendars);
    if (!ev) continue;
    const add = (kind: StageKind, due: number | null, ms: number | null) => {
      if (due === null || ms === null) return;
      const seconds = ms / 1000;
      const fired = c.fired[kind];
      if (fired && fired.seconds >= seconds) return;
      out.set(`${c.key}.${kind}`, { key: `${c.key}.${kind}`, cycleKey: c.key, kind, due, seconds });
    };
    add('warning', ev.warnAt, ev.warnMs);
    add('breach', ev.dueAt, ev.budgetMs);
  }
  return out;
}

export interface Transition {
  kind: 'started' | 'paused' | 'resumed' | 'met';
  cycleKey: string;
  at: number;
  reason?: string;
}

/** A transition with the clock's goal and due time as they were right after the fact that caused it. */
export interface EvaluatedTransition extends Transition {
  ev: Evaluated;
  accountId: string;
}

const stateOf = (c: Cycle) => (c.stoppedAt !== undefined ? 'met' : c.exclusions.some((x) => x.to === undefined) ? 'paused' : 'running');

/** What changed for the clocks between two successive derivations (one more fact). */
export function transitions(before: Derived | undefined, after: Derived): Transition[] {
  const out: Transition[] = [];
  const prev = new Map((before?.cycles ?? []).map((c) => [c.key, c]));
  for (const c of after.cycles) {
    const p = prev.get(c.key);
    const now = stateOf(c);
    const was = p ? stateOf(p) : undefined;
    const lastPause = c.exclusions.at(-1);
    if (!was) out.push({ kind: 'started', cycleKey: c.key, at: c.start });
    if (was === now) continue;
    if (was === 'met' || (was === 'paused' && now === 'running')) {
      // the gap that just closed: the resolved period of a reopened case, or the pause that was open
      const gap = was === 'met' ? c.exclusions.filter((x) => x.reason === 'resolved').at(-1) : c.exclusions[p!.exclusions.length - 1];
      out.push({ kind: 'resumed', cycleKey: c.key, at: gap?.to ?? c.start, reason: gap?.endCause ?? 'reopened' });
    }
    if (now === 'paused' && lastPause) out.push({ kind: 'paused', cycleKey: c.key, at: lastPause.from, reason: lastPause.cause });
    if (now === 'met') out.push({ kind: 'met', cycleKey: c.key, at: c.stoppedAt!, reason: c.stopReason });
  }
  return out;
}

// ---- incremental history --------------------------------------------------------------------

export interface StageVersion {
  version: number;
  stage: Stage | null;
}

/**
 * Walks the log prefix by prefix and remembers, for every stage, the position of the fact that last
 * changed it, and the transitions each fact caused. Extending it with new facts costs one derivation each.
 */
export class CaseHistory {
  readonly log: LogEntry[] = [];
  readonly versions = new Map<string, StageVersion>();
  /** Transitions caused by the fact at each position (1-based, like versions). */
  readonly causedBy = new Map<number, EvaluatedTransition[]>();
  private last?: Derived;
  private lastStages = new Map<string, Stage>();

  constructor(private readonly calendars: CalendarLookup) {}

  get derived(): Derived {
    return this.last ?? derive([]);
  }

  get length(): number {
    return this.log.length;
  }

  has(id: string): boolean {
    return this.log.some((e) => e.id === id);
  }

  indexOf(id: string): number {
    return this.log.findIndex((e) => e.id === id) + 1;
  }

  push(entry: LogEntry): void {
    this.log.push(entry);
    const position = this.log.length;
    const d = derive(this.log);
    const stages = pendingStages(d, this.calendars);
    for (const key of new Set([...this.lastStages.keys(), ...stages.keys()])) {
      const a = this.lastStages.get(key);
      const b = stages.get(key);
      if (a?.due !== b?.due || a?.seconds !== b?.seconds) this.versions.set(key, { version: position, stage: b ?? null });
    }
    const caused: EvaluatedTransition[] = [];
    for (const t of transitions(this.last, d)) {
      const ev = evaluate(d.cycles.find((c) => c.key === t.cycleKey)!, d, this.calendars);
      if (ev) caused.push({ ...t, ev, accountId: d.accountId ?? '' });
    }
    this.causedBy.set(position, caused);
    this.last = d;
    this.lastStages = stages;
  }

  /** Current pending stages with their versions. */
  pending(): { stage: Stage; version: number }[] {
    return [...this.lastStages.values()].map((stage) => ({ stage, version: this.versions.get(stage.key)!.version }));
  }

  /** Pending stages whose current version was set by the fact at `position`. */
  changedAt(position: number): { stage: Stage; version: number }[] {
    return this.pending().filter((p) => p.version === position);
  }
}
