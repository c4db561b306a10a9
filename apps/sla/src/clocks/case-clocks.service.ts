import { businessSecondsBetween, isOpen } from '@sladesk/business-time';
import {
  AppError,
  CaseCustomerRepliedPayload,
  CaseOpenedPayload,
  CaseReclassifiedPayload,
  CaseReopenedPayload,
  CaseSlaView,
  CaseStatusChangedPayload,
  EventEnvelope,
  EventMap,
  Events,
  SlaClockEventPayload,
  SlaClockView,
  SlaEvents,
} from '@sladesk/contracts';
import { KeyedMutex, outboxEvent } from '@sladesk/messaging';
import { Scope, visibleTo } from '@sladesk/persistence';
import { SlaOutbox } from '../outbox/sla-outbox';
import { SlaRegistry } from '../policies/sla-registry';
import { TimerEntry } from '../timers/timer-store';
import { CaseIndex } from './case-index';
import { CaseLogStore } from './case-log.store';
import { businessSecondsOf, CaseHistory, Cycle, Derived, elapsedMsAt, evaluate, Evaluated, EvaluatedTransition, isInsideHours, LogEntry, Stage } from './clock-engine';

/** Stores timers and tells the wheels (the one implementation is SlaTimers). */
export interface TimerScheduler {
  schedule(entries: TimerEntry[]): Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `<caseId>.<clock>.<cycle>.<kind>`: the durable timer of one stage of one clock. */
export const timerIdOf = (caseId: string, stageKey: string) => `${caseId}.${stageKey}`;
export function parseTimerId(id: string): { caseId: string; stageKey: string } {
  const parts = id.split('.');
  return { caseId: parts.slice(0, -3).join('.'), stageKey: parts.slice(-3).join('.') };
}

type ClockSubject = (typeof SlaEvents)[keyof typeof SlaEvents];

/**
 * Applies case facts to the clocks and fires their stages. Every change of a case runs under the
 * case's mutex (one at a time in this process); across instances the history is append-only, so
 * nothing is lost, and every effect has a deterministic id, so nothing is emitted twice.
 */
export class CaseClocksService {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly log: CaseLogStore,
    private readonly index: CaseIndex,
    private readonly registry: SlaRegistry,
    private readonly outbox: SlaOutbox,
    private readonly timers: TimerScheduler,
  ) {}

  /** A case event from intake: recorded once in the case's history, then its effects. */
  async onCaseEvent(event: EventEnvelope): Promise<void> {
    const entry = toEntry(event);
    if (!entry) return;
    const caseId = (event.payload as { caseId: string }).caseId;
    await this.mutex.run(caseId, async () => {
      const h = await this.log.load(caseId);
      let position = h.indexOf(entry.id);
      const redelivered = position > 0;
      if (!redelivered) {
        if (entry.k === 'opened') {
          entry.policy = this.registry.snapshotFor(entry.accountId!);
          await this.index.addCase(entry.accountId!, caseId);
        }
        position = await this.log.append(caseId, h, entry);
      }
      await this.effects(caseId, h, position, redelivered);
    });
  }

  /** The goals of the case's account changed: record the new ones (history keeps the pauses), re-time. */
  async recompute(caseId: string, jobId: string): Promise<boolean> {
    return this.mutex.run(caseId, async () => {
      const h = await this.log.load(caseId);
      const id = `recompute-${jobId}`;
      let position = h.indexOf(id);
      const again = position > 0;
      if (!again) {
        const d = h.derived;
        if (!d.opened || d.resolved || !d.accountId) return false;
        const policy = this.registry.snapshotFor(d.accountId);
        if (SlaRegistry.sameGoals(d.policy, policy)) return false;
        position = await this.log.append(caseId, h, { id, k: 'policy', at: Date.now(), policy });
      }
      await this.effects(caseId, h, position, again);
      return true;
    });
  }

  /**
   * A stage's timer is due: emit its warning or breach once, if it is still the current version. A timer
   * that comes before its stage's due time (stored with an earlier due, e.g. by a build that cut instants
   * to the second) is put back at the due time: a clock never fires early.
   */
  async fire(timer: TimerEntry, now: () => number = Date.now): Promise<void> {
    const { caseId, stageKey } = parseTimerId(timer.id);
    const eventId = `${timer.id}:${timer.v}`;
    await this.mutex.run(caseId, async () => {
      const h = await this.log.load(caseId);
      const current = h.versions.get(stageKey);
      // superseded (paused, re-timed, met) or already fired: the newer version has its own timer
      if (!current?.stage || current.version !== timer.v || h.has(eventId)) return;
      const stage = current.stage;
      if (now() < stage.due) {
        await this.timers.schedule([{ id: timer.id, v: timer.v, due: stage.due }]);
        return;
      }
      if (!(await this.outbox.wasEmitted(eventId))) {
        const d = h.derived;
        const cycle = d.cycles.find((c) => c.key === stage.cycleKey)!;
        const ev = evaluate(cycle, d, this.registry.lookup)!;
        const payload = clockPayload(caseId, d.accountId ?? '', ev, stage.due);
        const env =
          stage.kind === 'warning'
            ? this.envelope(SlaEvents.SlaWarning, { ...payload, thresholdPercent: Math.round(ev.warningThreshold * 100) }, eventId)
            : this.envelope(SlaEvents.SlaBreached, payload, eventId);
        await this.outbox.add([env], { record: true });
      }
      await this.log.append(caseId, h, { id: eventId, k: 'fired', at: stage.due, stage: stageKey, seconds: stage.seconds });
    });
  }

  /** A case's clocks; for an account-scoped caller another account's case is not found, as a missing one. */
  async view(scope: Scope, caseId: string, now = Date.now()): Promise<CaseSlaView> {
    return this.mutex.run(caseId, async () => {
      const h = await this.log.load(caseId);
      const d = h.derived;
      // The account comes from case.opened, recorded in the case's own log (read by `_id`).
      if (!d.opened || !d.policy || !visibleTo(scope, { accountId: d.accountId })) throw new AppError('CASE.NOT_FOUND', `the sla service has no clocks for case ${caseId}`);
      const clocks = d.cycles.map((c) => clockView(c, d, evaluate(c, d, this.registry.lookup)!, now));
      return {
        caseId,
        accountId: d.accountId ?? '',
        severity: d.severity,
        status: d.status,
        policy: { id: d.policy.policyId, version: d.policy.policyVersion, name: d.policy.policyName },
        evaluatedAt: iso(now),
        insideBusinessHours: isOpen(this.registry.lookup(d.policy.calendar), new Date(now)),
        clocks,
      };
    });
  }

  /** What the fact at `position` causes: clock events, and timers for the stages it (re)timed. */
  private async effects(caseId: string, h: CaseHistory, position: number, again: boolean): Promise<void> {
    let events = (h.causedBy.get(position) ?? []).map((t) => this.transitionEvent(caseId, position, t));
    const stages: { stage: Stage; version: number }[] = h.changedAt(position);
    // A redelivered fact may have had its events published already (maybe longer ago than JetStream's dedup window).
    if (again) events = (await Promise.all(events.map(async (e) => ((await this.outbox.wasEmitted(e.eventId)) ? null : e)))).filter((e) => e !== null);
    await this.outbox.add(events, { record: true });
    if (stages.length) {
      await this.timers.schedule(stages.map(({ stage, version }) => ({ id: timerIdOf(caseId, stage.key), v: version, due: stage.due })));
    }
  }

  private transitionEvent(caseId: string, position: number, t: EvaluatedTransition): EventEnvelope {
    const id = `${caseId}:${position}:${t.cycleKey}.${t.kind}`;
    const payload = clockPayload(caseId, t.accountId, t.ev, t.at);
    switch (t.kind) {
      case 'started':
        return this.envelope(SlaEvents.SlaClockStarted, payload, id);
      case 'paused':
        return this.envelope(SlaEvents.SlaClockPaused, { ...payload, reason: t.reason ?? 'paused' }, id);
      case 'resumed':
        return this.envelope(SlaEvents.SlaClockResumed, { ...payload, reason: t.reason ?? 'resumed' }, id);
      case 'met':
        return this.envelope(SlaEvents.SlaMet, { ...payload, withinGoal: payload.overdueBusinessSeconds === 0, reason: t.reason ?? 'responded' }, id);
    }
  }

  private envelope<S extends ClockSubject>(type: S, payload: EventMap[S], eventId: string): EventEnvelope {
    return { ...outboxEvent(type, payload), eventId };
  }
}

function clockPayload(caseId: string, accountId: string, ev: Evaluated, at: number): SlaClockEventPayload {
  return {
    caseId,
    accountId,
    clock: ev.cycle.clock,
    cycle: ev.cycle.cycle,
    severity: ev.severity,
    goal: ev.goal,
    ...(ev.dueAt !== null ? { dueAt: iso(ev.dueAt) } : {}),
    at: iso(at),
    ...businessSecondsOf(elapsedMsAt(ev, at), ev.budgetMs),
  };
}

function clockView(c: Cycle, d: Derived, ev: Evaluated, now: number): SlaClockView {
  const elapsed = elapsedMsAt(ev, now);
  const end = c.stoppedAt ?? now;
  return {
    clock: c.clock,
    cycle: c.cycle,
    state: ev.state,
    goal: ev.goal,
    startedAt: iso(c.start),
    dueAt: ev.dueAt === null ? null : iso(ev.dueAt),
    warningAt: ev.warnAt === null ? null : iso(ev.warnAt),
    ...(c.stoppedAt !== undefined ? { stoppedAt: iso(c.stoppedAt), withinGoal: elapsed <= ev.budgetMs } : {}),
    ...businessSecondsOf(elapsed, ev.budgetMs),
    breached: c.stoppedAt !== undefined ? elapsed > ev.budgetMs : elapsed >= ev.budgetMs,
    ...(c.fired.warning ? { warnedAt: iso(c.fired.warning.at) } : {}),
    ...(c.fired.breach ? { breachedAt: iso(c.fired.breach.at) } : {}),
    pauses: c.exclusions.map((x) => {
      const to = x.to ?? Math.max(x.from, Math.min(now, end));
      return {
        from: iso(x.from),
        ...(x.to !== undefined ? { to: iso(x.to) } : {}),
        reason: x.reason,
        businessSeconds: businessSecondsBetween(ev.calendar, new Date(x.from), new Date(to)),
      };
    }),
    insideCalendarHours: isInsideHours(ev, now),
  };
}

/** The fact a case event records, or undefined for events that do not move a clock. */
export function toEntry(event: EventEnvelope): LogEntry | undefined {
  const p = event.payload as { at?: string };
  const base = { id: event.eventId, at: Date.parse(p.at ?? event.occurredAt) };
  switch (event.type) {
    case Events.CaseOpened: {
      const o = event.payload as CaseOpenedPayload;
      return { ...base, k: 'opened', at: Date.parse(o.receivedAt), severity: o.severity, accountId: o.accountId };
    }
    case Events.CaseResponded:
      return { ...base, k: 'responded' };
    case Events.CaseCustomerReplied:
      return { ...base, k: 'customer_replied', at: Date.parse((event.payload as CaseCustomerRepliedPayload).at) };
    case Events.CaseStatusChanged:
      return { ...base, k: 'status', status: (event.payload as CaseStatusChangedPayload).to };
    case Events.CaseReclassified:
      return { ...base, k: 'reclassified', severity: (event.payload as CaseReclassifiedPayload).severity };
    case Events.CaseResolved:
      return { ...base, k: 'resolved' };
    case Events.CaseReopened:
      return { ...base, k: 'reopened', byContact: (event.payload as CaseReopenedPayload).by.kind === 'contact' };
    default:
      return undefined;
  }
}
