import { AvailabilityEvents, EventEnvelope, EventMap, EXCLUSION_KINDS, IncidentPayload, ObjectiveView } from '@sladesk/contracts';
import { KeyedMutex, outboxEvent } from '@sladesk/messaging';
import { Logger } from '@nestjs/common';
import { mongo } from 'mongoose';
import { SlaOutbox } from '../outbox/sla-outbox';
import { isDuplicate } from '../storage';
import { ComponentDoc } from './components';
import { ComponentsService } from './components.service';
import { carryAt, ledgerMonths } from './month';
import {
  availabilityFigures,
  AvailabilitySummary,
  ExclusionFact,
  IncidentFact,
  ObjectiveSummary,
  restorationFigures,
  RestorationSummary,
  summarize,
} from './objective-math';

/** The facts of one component in one (widened UTC) month: `avail_facts/<componentId>:<YYYY-MM>`. */
export interface FactsDoc {
  _id: string;
  c: string;
  m: string;
  /** +1 on every change; a month's summary and its timers are of one revision. */
  rev: number;
  inc: IncidentFact[];
  exc: ExclusionFact[];
}

/** What a month's report reads, one per component: `avail_months/<componentId>:<YYYY-MM>`, a fixed size whatever the incidents. */
export interface MonthDoc {
  _id: string;
  c: string;
  m: string;
  /** The facts revision and component version it was computed from. */
  rev: number;
  cv: number;
  computedAt: Date;
  objectives: ObjectiveSummary[];
  incidentsCounted: number;
  /** Per objective, the figures last published in `credit-computed` (only a change is published again). */
  published?: { o: string; sig: string }[];
}

/** An incident as last heard (`avail_incidents/<incidentId>`) and every ledger key any of its revisions touched. */
interface IncidentIndexDoc {
  _id: string;
  rev: number;
  p: IncidentState;
  keys: string[];
}

interface IncidentState {
  title: string;
  components: string[];
  impact: 'outage' | 'degraded';
  w?: number;
  s: number;
  i: number;
  e?: number;
  cause?: string;
}

/** An exclusion (`avail_exclusions/<id>`): from the API, or a completed maintenance window. */
export interface ExclusionDoc {
  _id: string;
  kind: string;
  componentIds: string[];
  start: Date;
  end: Date;
  reason?: string;
  source: 'api' | 'maintenance';
  recordedAt: Date;
  rev: number;
  keys: string[];
}

export interface TimerScheduler {
  schedule(entries: { id: string; v: number; due: number }[]): Promise<void>;
}

const key = (componentId: string, month: string) => `${componentId}:${month}`;
const splitKey = (k: string) => {
  const at = k.lastIndexOf(':');
  return { c: k.slice(0, at), m: k.slice(at + 1) };
};

/** Timer ids (no spaces): `b|…` budget ran out, `r|…` restoration late, `c|…` month closed, `o|…` carry open incidents on. */
export const timerIds = {
  budget: (c: string, m: string, o: string) => `b|${c}|${m}|${o}`,
  restoration: (c: string, m: string, o: string, i: string) => `r|${c}|${m}|${o}|${i}`,
  close: (c: string, m: string) => `c|${c}|${m}`,
  carry: (c: string, m: string) => `o|${c}|${m}`,
};

export const eventIds = {
  budget: (c: string, o: string, m: string) => `objective-breached:${c}:${o}:${m}`,
  restoration: (c: string, o: string, i: string) => `objective-breached:${c}:${o}:${i}`,
  credit: (c: string, o: string, m: string, rev: number) => `credit-computed:${c}:${o}:${m}:${rev}`,
};

/**
 * The availability ledger: incidents and exclusions folded, as they are heard, into per-component,
 * per-month documents, each with a summary the monthly report reads without looking at incidents.
 *
 * - **Any order, any number of times.** An incident's events carry its revision; the newest state wins
 *   (`avail_incidents`), and it is written to every month any revision touched — a correction that moves
 *   an incident out of a month leaves a tombstone there, so an older revision arriving late cannot bring
 *   it back. Writing the same fact again changes nothing.
 * - **One writer per document** at a time in this process (a keyed mutex), and a compare-and-set on `rev`
 *   between processes.
 * - **Months are UTC months widened by 14 h** on each side, so each objective measures its own zone's
 *   month from the same document; an incident still open when a month ends is carried into the next one
 *   by a durable timer.
 */
export class LedgerService {
  private readonly logger = new Logger('availability');
  readonly facts: mongo.Collection<FactsDoc>;
  readonly months: mongo.Collection<MonthDoc>;
  private readonly incidents: mongo.Collection<IncidentIndexDoc>;
  readonly exclusions: mongo.Collection<ExclusionDoc>;
  private readonly mutex = new KeyedMutex();
  timers?: TimerScheduler;

  constructor(
    db: mongo.Db,
    private readonly components: ComponentsService,
    private readonly outbox: SlaOutbox,
    /**
     * A breach already in the past when computed (an incident recorded after the fact, a correction) is
     * published this much later, if still certain then: a restoration heard right after it counts first.
     */
    private readonly settleMs = 5000,
  ) {
    this.facts = db.collection<FactsDoc>('avail_facts');
    this.months = db.collection<MonthDoc>('avail_months');
    this.incidents = db.collection<IncidentIndexDoc>('avail_incidents');
    this.exclusions = db.collection<ExclusionDoc>('avail_exclusions');
  }

  // ---- incidents ------------------------------------------------------------------------------

  /** incident.opened / updated / restored, in any order and any number of times. */
  async onIncident(p: IncidentPayload, subjectRevision: number, now = Date.now()): Promise<void> {
    const rev = p.revision ?? subjectRevision;
    const state: IncidentState = {
      title: p.title,
      components: p.components ?? [],
      impact: p.impact ?? 'outage',
      ...(p.degradedWeightBasisPoints !== undefined ? { w: p.degradedWeightBasisPoints } : {}),
      s: Date.parse(p.impactStart ?? p.at),
      i: Date.parse(p.identifiedAt ?? p.impactStart ?? p.at),
      ...(p.restoredAt ? { e: Date.parse(p.restoredAt) } : p.state === 'restored' || (!p.state && subjectRevision > 1) ? { e: Date.parse(p.at) } : {}),
      ...(p.cause ? { cause: p.cause } : {}),
    };
    await this.mutex.run(`incident:${p.incidentId}`, async () => {
      const known = await this.incidents.findOne({ _id: p.incidentId }, { projection: { rev: 1 } });
      if (!known && state.components.length === 0) return; // nothing of availability's, before or now
      if (!known || known.rev < rev) {
        await this.incidents
          .updateOne({ _id: p.incidentId, $or: [{ rev: { $lt: rev } }, { rev: { $exists: false } }] }, { $set: { rev, p: state } }, { upsert: true })
          .catch((e) => {
            if (!isDuplicate(e)) throw e; // a newer revision was stored meanwhile
          });
      }
      await this.reapplyIncident(p.incidentId, now);
    });
  }

  /** Writes the newest known state of an incident to every month it or an older revision touched. */
  async reapplyIncident(incidentId: string, now = Date.now()): Promise<void> {
    const idx = await this.incidents.findOne({ _id: incidentId });
    if (!idx) return;
    const st = idx.p;
    const direct = new Set(st.components);
    const via = await this.components.dependentsOf(st.components);
    const targets = [...new Set([...direct, ...via.keys()])];
    const months = ledgerMonths(st.s, st.e ?? now);
    const keys = targets.flatMap((c) => months.map((m) => key(c, m)));
    const missing = keys.filter((k) => !(idx.keys ?? []).includes(k));
    // recorded before writing, so whoever applies a newer revision also visits these months
    if (missing.length) await this.incidents.updateOne({ _id: incidentId }, { $addToSet: { keys: { $each: missing } } });
    const wanted = new Set(keys);
    for (const k of new Set([...(idx.keys ?? []), ...keys])) {
      const c = splitKey(k).c;
      const fact: IncidentFact = wanted.has(k)
        ? {
            id: incidentId,
            r: idx.rev,
            direct: direct.has(c),
            via: via.get(c) ?? [],
            impact: st.impact,
            ...(st.w !== undefined ? { w: st.w } : {}),
            s: st.s,
            i: st.i,
            ...(st.e !== undefined ? { e: st.e } : {}),
            ...(st.cause ? { cause: st.cause } : {}),
            title: st.title,
          }
        : { id: incidentId, r: idx.rev, x: true, direct: false, via: [], impact: st.impact, s: st.s, i: st.i };
      await this.writeFact(k, 'inc', fact, now);
    }
  }

  // ---- exclusions -----------------------------------------------------------------------------

  /** maintenance.completed: its actual window is excluded for the components it names. */
  async onMaintenanceCompleted(p: EventMap['sladesk.evt.maintenance.completed.v1'], now = Date.now()): Promise<void> {
    await this.putExclusion(
      {
        id: `mw:${p.windowId}`,
        kind: EXCLUSION_KINDS.ScheduledMaintenance,
        componentIds: p.components,
        start: new Date(p.actualStart),
        end: new Date(p.actualEnd),
        reason: `maintenance window ${p.windowId}`,
        source: 'maintenance',
      },
      Date.parse(p.at),
      now,
    );
  }

  /** Records (or corrects) an exclusion; `version` orders writers of one id (the newest wins). */
  async putExclusion(x: Omit<ExclusionDoc, 'rev' | 'keys' | 'recordedAt' | '_id'> & { id: string }, version: number | 'next', now = Date.now()): Promise<ExclusionDoc> {
    return this.mutex.run(`exclusion:${x.id}`, async () => {
      const current = await this.exclusions.findOne({ _id: x.id });
      const rev = version === 'next' ? (current?.rev ?? 0) + 1 : version;
      const keys = x.componentIds.flatMap((c) => ledgerMonths(x.start.getTime(), x.end.getTime()).map((m) => key(c, m)));
      let doc: ExclusionDoc = { _id: x.id, kind: x.kind, componentIds: x.componentIds, start: x.start, end: x.end, ...(x.reason ? { reason: x.reason } : {}), source: x.source, recordedAt: new Date(now), rev, keys: [...new Set([...(current?.keys ?? []), ...keys])] };
      if (current && current.rev > rev) doc = current;
      else if (!current || current.rev < rev) {
        await this.exclusions.replaceOne({ _id: x.id }, doc, { upsert: true }).catch((e) => {
          if (!isDuplicate(e)) throw e;
        });
      }
      const wanted = new Set(doc.componentIds.flatMap((c) => ledgerMonths(doc.start.getTime(), doc.end.getTime()).map((m) => key(c, m))));
      for (const k of doc.keys) {
        const fact: ExclusionFact = wanted.has(k)
          ? { id: doc._id, r: doc.rev, k: doc.kind, s: doc.start.getTime(), e: doc.end.getTime() }
          : { id: doc._id, r: doc.rev, x: true, k: doc.kind, s: doc.start.getTime(), e: doc.end.getTime() };
        await this.writeFact(k, 'exc', fact, now);
      }
      return doc;
    });
  }

  // ---- the documents --------------------------------------------------------------------------

  /** Merges one fact into a month's document (newest revision wins, tombstones kept), then its summary. */
  private async writeFact(k: string, list: 'inc' | 'exc', fact: IncidentFact | ExclusionFact, now: number): Promise<void> {
    await this.mutex.run(`facts:${k}`, async () => {
      for (let attempt = 0; ; attempt++) {
        const doc = await this.facts.findOne({ _id: k });
        const items = (doc?.[list] ?? []) as (IncidentFact | ExclusionFact)[];
        const at = items.findIndex((f) => f.id === fact.id);
        const old = at >= 0 ? items[at] : undefined;
        const unchanged = old ? old.r > fact.r || JSON.stringify(old) === JSON.stringify(fact) : !!fact.x;
        if (unchanged) {
          // a redelivery after a crash between this write and the summary: finish the summary
          if (doc) await this.ensureSummary(doc, now);
          return;
        }
        const nextItems = at >= 0 ? items.map((f, n) => (n === at ? fact : f)) : [...items, fact];
        const { c, m } = splitKey(k);
        const next: FactsDoc = { _id: k, c, m, rev: (doc?.rev ?? 0) + 1, inc: doc?.inc ?? [], exc: doc?.exc ?? [] };
        if (list === 'inc') next.inc = nextItems as IncidentFact[];
        else next.exc = nextItems as ExclusionFact[];
        try {
          const written = doc
            ? (await this.facts.replaceOne({ _id: k, rev: doc.rev }, next)).matchedCount === 1
            : (await this.facts.insertOne(next), true);
          if (written) {
            await this.summarize(next, now);
            return;
          }
        } catch (e) {
          if (!isDuplicate(e)) throw e;
        }
        if (attempt > 20) throw new Error(`ledger document ${k} keeps changing; retry`);
      }
    });
  }

  private async ensureSummary(doc: FactsDoc, now: number): Promise<void> {
    const month = await this.months.findOne({ _id: doc._id }, { projection: { rev: 1, cv: 1 } });
    const comp = await this.components.find(doc.c);
    if (!month || month.rev < doc.rev || (comp && month.cv !== comp.version)) await this.summarize(doc, now);
  }

  /** The month's summary from its facts: timers first (they check the summary), then the summary. */
  async summarize(doc: FactsDoc, now = Date.now(), comp?: ComponentDoc | null): Promise<MonthDoc | null> {
    const component = comp === undefined ? await this.components.find(doc.c) : comp;
    if (!component) return null;
    const month = computeMonth(component, doc);
    await this.scheduleTimers(month, doc, now);
    const before = await this.months.findOne({ _id: month._id }, { projection: { published: 1, rev: 1 } });
    if (before && before.rev > month.rev) return month;
    month.published = await this.publishCreditsIfFinal(component, month, now, before?.published ?? []);
    await this.months.replaceOne({ _id: month._id, rev: { $lte: month.rev } }, month, { upsert: true }).catch((e) => {
      if (!isDuplicate(e)) throw e; // a newer summary is there already
    });
    return month;
  }

  /** The month's summary as stored, or computed again when missing or from an older component version. */
  async monthOf(component: ComponentDoc, month: string, stored?: MonthDoc | null, now = Date.now()): Promise<MonthDoc> {
    const doc = stored === undefined ? await this.months.findOne({ _id: key(component._id, month) }) : stored;
    if (doc && doc.cv === component.version) return doc;
    const facts = await this.facts.findOne({ _id: key(component._id, month) });
    if (!facts) return computeMonth(component, { _id: key(component._id, month), c: component._id, m: month, rev: 0, inc: [], exc: [] });
    return (await this.summarize(facts, now, component))!;
  }

  private async scheduleTimers(month: MonthDoc, facts: FactsDoc, now: number): Promise<void> {
    if (!this.timers) return;
    const { c, m } = month;
    const entries: { id: string; v: number; due: number }[] = [];
    for (const s of month.objectives) {
      if (s.kind === 'availability' && s.breachAt !== undefined && !(await this.outbox.wasEmitted(eventIds.budget(c, s.objectiveId, m)))) {
        entries.push({ id: timerIds.budget(c, m, s.objectiveId), v: month.rev, due: this.dueOf(s.breachAt, now) });
      }
      if (s.kind === 'restoration') {
        for (const x of [...s.open, ...s.late]) {
          if (await this.outbox.wasEmitted(eventIds.restoration(c, s.objectiveId, x.id))) continue;
          entries.push({ id: timerIds.restoration(c, m, s.objectiveId, x.id), v: month.rev, due: this.dueOf(x.deadline, now) });
        }
      }
    }
    const end = Math.max(...month.objectives.map((s) => s.end), 0);
    if (end > now) entries.push({ id: timerIds.close(c, m), v: month.rev, due: end });
    if (facts.inc.some((f) => !f.x && f.e === undefined)) entries.push({ id: timerIds.carry(c, m), v: month.rev, due: carryAt(m) });
    if (entries.length) await this.timers.schedule(entries);
  }

  /** On time when ahead; when already past, after the settling delay (the event still carries the real instant). */
  private dueOf(at: number, now: number): number {
    return at > now ? at : now + this.settleMs;
  }

  // ---- timers ---------------------------------------------------------------------------------

  /** A durable timer fired: publish what became certain, at most once (event ids are fixed). */
  async fire(t: { id: string; v: number; due: number }, now = Date.now()): Promise<void> {
    const [kind, c, m, o, i] = t.id.split('|');
    const component = await this.components.find(c);
    if (!component) return;
    if (kind === 'o') {
      const facts = await this.facts.findOne({ _id: key(c, m) });
      for (const f of facts?.inc ?? []) if (!f.x && f.e === undefined) await this.mutex.run(`incident:${f.id}`, () => this.reapplyIncident(f.id, Math.max(now, t.due)));
      return;
    }
    let month = await this.months.findOne({ _id: key(c, m) });
    if (!month || month.rev < t.v) {
      // the summary of that revision was not written (a crash): write it from the facts
      const facts = await this.facts.findOne({ _id: key(c, m) });
      if (!facts) return;
      month = await this.summarize(facts, now, component);
      if (!month) return;
    }
    if (kind === 'c') {
      const facts = month.objectives.some((x) => now >= x.end) ? await this.facts.findOne({ _id: key(c, m) }) : null;
      if (facts) await this.summarize(facts, now, component);
      return;
    }
    if (month.rev !== t.v) return; // superseded: the newer revision scheduled its own
    const s = month.objectives.find((x) => x.objectiveId === o);
    const objective = component.objectives.find((x) => x.id === o);
    if (!s || !objective) return;
    if (kind === 'b' && s.kind === 'availability' && s.breachAt !== undefined) {
      if (now < s.breachAt) return this.timers?.schedule([{ id: t.id, v: t.v, due: s.breachAt }]);
      await this.emit(
        AvailabilityEvents.ObjectiveBreached,
        {
          componentId: c,
          objectiveId: o,
          kind: 'availability',
          month: m,
          timeZone: objective.timeZone,
          ...(s.breachIncidentId ? { incidentId: s.breachIncidentId } : {}),
          targetPercent: objective.targetPercent ?? 100,
          budgetMinutes: round(s.budgetMs / 60_000, 4),
          ...(objective.clause ? { clause: objective.clause } : {}),
          at: new Date(s.breachAt).toISOString(),
        },
        eventIds.budget(c, o, m),
      );
    }
    if (kind === 'r' && s.kind === 'restoration') {
      const item = [...s.open, ...s.late].find((x) => x.id === i);
      if (!item) return;
      if (now < item.deadline) return this.timers?.schedule([{ id: t.id, v: t.v, due: item.deadline }]);
      await this.emit(
        AvailabilityEvents.ObjectiveBreached,
        {
          componentId: c,
          objectiveId: o,
          kind: 'restoration',
          month: m,
          timeZone: objective.timeZone,
          incidentId: i,
          maxMinutes: round(s.maxMs / 60_000, 4),
          ...(objective.clause ? { clause: objective.clause } : {}),
          at: new Date(item.deadline).toISOString(),
        },
        eventIds.restoration(c, o, i),
      );
    }
  }

  /**
   * Once a month is over in an objective's zone its credit is published, and again after a correction
   * that changes the figures (a new revision); returns what was published, kept in the month's summary.
   */
  private async publishCreditsIfFinal(component: ComponentDoc, month: MonthDoc, now: number, published: { o: string; sig: string }[]): Promise<{ o: string; sig: string }[]> {
    const out = [...published];
    for (const s of month.objectives) {
      if (now < s.end) continue;
      const o = component.objectives.find((x) => x.id === s.objectiveId);
      if (!o) continue;
      const f = figuresOf(o, s, now);
      const sig = JSON.stringify([s.incidentsCounted, f.downtimeMinutes ?? 0, f.late ?? 0, s.excludedMs, f.creditBasisPoints]);
      const previous = out.find((x) => x.o === o.id);
      // a month nothing was ever counted in publishes nothing (an incident moved out leaves only a tombstone)
      if (previous ? previous.sig === sig : s.incidentsCounted === 0 && s.excludedMs === 0) continue;
      await this.emit(
        AvailabilityEvents.CreditComputed,
        {
          componentId: component._id,
          objectiveId: o.id,
          kind: o.kind,
          month: month.m,
          ...(f.availabilityPercent !== undefined ? { availabilityPercent: f.availabilityPercent } : {}),
          downtimeMinutes: f.downtimeMinutes ?? 0,
          excludedMinutes: round(s.excludedMs / 60_000, 4),
          met: f.met,
          creditBasisPoints: f.creditBasisPoints,
          accountIds: component.accountIds,
          revision: month.rev,
          at: new Date(now).toISOString(),
        },
        eventIds.credit(component._id, o.id, month.m, month.rev),
      );
      if (previous) previous.sig = sig;
      else out.push({ o: o.id, sig });
    }
    return out;
  }

  private async emit<S extends (typeof AvailabilityEvents)[keyof typeof AvailabilityEvents]>(type: S, payload: EventMap[S], eventId: string): Promise<void> {
    if (await this.outbox.wasEmitted(eventId)) return;
    const env: EventEnvelope = { ...outboxEvent(type, payload), eventId };
    await this.outbox.add([env], { record: true });
    this.logger.log(`${type} ${eventId}`);
  }

  /** A component changed: its current and previous months are summarized again with the new objectives (and timers re-armed). */
  async componentChanged(component: ComponentDoc, now = Date.now()): Promise<void> {
    const months = ledgerMonths(now - 35 * 86_400_000, now);
    for (const m of months) {
      const facts = await this.facts.findOne({ _id: key(component._id, m) });
      if (facts) await this.summarize(facts, now, component);
    }
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function computeMonth(component: ComponentDoc, facts: FactsDoc): MonthDoc {
  const objectives = component.objectives.map((o) => summarize(o, facts.m, facts.inc, facts.exc));
  return {
    _id: facts._id,
    c: component._id,
    m: facts.m,
    rev: facts.rev,
    cv: component.version,
    computedAt: new Date(),
    objectives,
    incidentsCounted: objectives.reduce((n, s) => Math.max(n, s.incidentsCounted), 0),
  };
}

/** The figures of one objective's month at `now`, in minutes, percent and basis points. */
export function figuresOf(o: ObjectiveView, s: ObjectiveSummary, now: number) {
  if (s.kind === 'availability') {
    const f = availabilityFigures(o, s as AvailabilitySummary, now);
    return {
      downtimeMinutes: round(f.downtimeMs / 60_000, 4),
      availabilityPercent: round(f.availabilityPercent, 6),
      budgetMinutes: round(f.budgetMs / 60_000, 4),
      budgetLeftMinutes: round(f.budgetLeftMs / 60_000, 4),
      met: f.met,
      creditBasisPoints: f.creditBp,
    };
  }
  const f = restorationFigures(o, s as RestorationSummary, now);
  return {
    downtimeMinutes: undefined,
    availabilityPercent: undefined,
    late: f.lateCount,
    longestRestorationMinutes: round(f.longestMs / 60_000, 4),
    met: f.met,
    creditBasisPoints: f.creditBp,
  };
}
