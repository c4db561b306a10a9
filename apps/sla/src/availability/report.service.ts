import {
  AccountCreditsView,
  AvailabilityQuery,
  AvailabilityReportView,
  ComponentMonthView,
  ErrorBudgetView,
  IncidentInMonthView,
  ObjectiveMonthView,
  ObjectiveView,
} from '@sladesk/contracts';
import { mongo } from 'mongoose';
import { ComponentDoc } from './components';
import { ComponentsService } from './components.service';
import { FactsDoc, figuresOf, LedgerService, MonthDoc } from './ledger.service';
import { monthKeyOf, monthRange } from './month';
import {
  AvailabilitySummary,
  counts,
  exclusionsFor,
  IncidentFact,
  lateCredit,
  maxMsOf,
  overlap,
  RestorationItem,
  RestorationSummary,
  weightOf,
} from './objective-math';

export const METHOD =
  'Per objective and calendar month in its time zone: downtime is the union of the counted incidents (outage 1, degraded its weight; overlapping incidents count once), ' +
  'minus the excluded windows of the kinds the objective excludes; availability = (period − excluded − downtime) / (period − excluded); ' +
  'budget = (1 − target) × (period − excluded). Restoration is from identification to restoration, excluded time removed. Credits: availability — the highest tier ' +
  'whose belowPercent the availability is under; restoration — the highest tier per late incident, summed; both capped. A component\'s credit is the largest of its objectives\'.';

/** Accounts known from intake's `account.created` (one document: the report lists credits per account). */
export class KnownAccounts {
  private readonly col: mongo.Collection<{ _id: string; ids: string[] }>;

  constructor(db: mongo.Db) {
    this.col = db.collection('avail_accounts');
  }

  async add(accountId: string): Promise<void> {
    await this.col.updateOne({ _id: 'accounts' }, { $addToSet: { ids: accountId } }, { upsert: true }).catch(async (e) => {
      if ((e as { code?: number }).code !== 11000) throw e;
      await this.col.updateOne({ _id: 'accounts' }, { $addToSet: { ids: accountId } });
    });
  }

  async all(): Promise<string[]> {
    return ((await this.col.findOne({ _id: 'accounts' }))?.ids ?? []).sort();
  }
}

const minutes = (ms: number) => Math.round((ms / 60_000) * 10_000) / 10_000;
const iso = (ms: number) => new Date(ms).toISOString();
const uses = (c: ComponentDoc, accountId: string) => c.accountIds === null || c.accountIds.includes(accountId);

/**
 * The monthly report and the error budget: one summary document per component (`avail_months`), read
 * by `_id`, whatever the number of incidents; a component's incidents are read (its month's facts) only
 * when asked for.
 */
export class ReportService {
  constructor(
    private readonly components: ComponentsService,
    private readonly ledger: LedgerService,
    private readonly accounts: KnownAccounts,
  ) {}

  async report(q: AvailabilityQuery, now = Date.now()): Promise<AvailabilityReportView> {
    let comps = q.componentId ? [await this.components.get(q.componentId)] : await this.components.all();
    if (q.accountId) comps = comps.filter((c) => uses(c, q.accountId!));
    const stored = await this.readMonths(comps.map((c) => `${c._id}:${q.month}`));
    const views: ComponentMonthView[] = [];
    for (let n = 0; n < comps.length; n++) {
      const c = comps[n];
      const month = await this.ledger.monthOf(c, q.month, stored[n], now);
      const detail = !!q.componentId || q.include === 'incidents';
      const facts = detail && month.rev > 0 ? await this.ledger.facts.findOne({ _id: `${c._id}:${q.month}` }) : null;
      views.push(this.componentMonth(c, month, facts, detail, now));
    }
    const accountIds = q.accountId ? [q.accountId] : [...new Set([...(await this.accounts.all()), ...comps.flatMap((c) => c.accountIds ?? [])])].sort();
    const credited = views.filter((v) => v.creditBasisPoints > 0);
    const byId = new Map(comps.map((c) => [c._id, c]));
    const shared = credited.filter((v) => byId.get(v.componentId)!.accountIds === null);
    const everyAccountUses = comps.filter((c) => c.accountIds === null).length;
    const accounts: AccountCreditsView[] = accountIds.map((accountId) => {
      const own = credited.filter((v) => byId.get(v.componentId)!.accountIds?.includes(accountId));
      const credits = Object.fromEntries([...shared, ...own].sort((a, b) => a.componentId.localeCompare(b.componentId)).map((v) => [v.componentId, v.creditBasisPoints]));
      return {
        accountId,
        credits,
        maxCreditBasisPoints: Math.max(0, ...Object.values(credits)),
        componentsUsed: everyAccountUses + comps.filter((c) => c.accountIds?.includes(accountId)).length,
      };
    });
    return { month: q.month, generatedAt: iso(now), method: METHOD, components: views, accounts };
  }

  /** `_id` reads, 64 at a time (FerretDB answers `$in` by reading the collection). */
  private async readMonths(ids: string[]): Promise<(MonthDoc | null)[]> {
    const out: (MonthDoc | null)[] = [];
    for (let i = 0; i < ids.length; i += 64) out.push(...(await Promise.all(ids.slice(i, i + 64).map((id) => this.ledger.months.findOne({ _id: id })))));
    return out;
  }

  componentMonth(c: ComponentDoc, month: MonthDoc, facts: FactsDoc | null, detail: boolean, now: number): ComponentMonthView {
    const objectives: ObjectiveMonthView[] = [];
    for (const o of c.objectives) {
      const s = month.objectives.find((x) => x.objectiveId === o.id);
      if (!s) continue;
      const f = figuresOf(o, s, now);
      objectives.push({
        objectiveId: o.id,
        kind: o.kind,
        // the clause is on the component; repeated here only for one component or with include=incidents
        ...(o.clause && detail ? { clause: o.clause } : {}),
        timeZone: o.timeZone,
        periodStart: iso(s.start),
        periodEnd: iso(s.end),
        final: now >= s.end,
        periodMinutes: minutes(s.end - s.start),
        excludedMinutes: minutes(s.excludedMs),
        ...(o.kind === 'availability'
          ? {
              targetPercent: o.targetPercent,
              downtimeMinutes: f.downtimeMinutes,
              availabilityPercent: f.availabilityPercent,
              budgetMinutes: f.budgetMinutes,
              budgetLeftMinutes: f.budgetLeftMinutes,
            }
          : { maxMinutes: minutes((s as RestorationSummary).maxMs), late: f.late, longestRestorationMinutes: f.longestRestorationMinutes }),
        incidentsCounted: s.incidentsCounted,
        met: f.met,
        creditBasisPoints: f.creditBasisPoints,
      });
    }
    const incidents = detail ? this.incidentsOf(c, facts, now) : this.lateOnly(c, month, now);
    return {
      componentId: c._id,
      name: c.name,
      kind: c.kind,
      objectives,
      incidentsCounted: month.incidentsCounted,
      incidents,
      creditBasisPoints: objectives.reduce((n, o) => Math.max(n, o.creditBasisPoints), 0),
    };
  }

  /** Every incident counted by one of the component's objectives in the month, with its restoration against each restoration objective. */
  incidentsOf(c: ComponentDoc, facts: FactsDoc | null, now: number): IncidentInMonthView[] {
    if (!facts) return [];
    const month = facts.m;
    const avail = c.objectives.find((o) => o.kind === 'availability');
    const restorations = c.objectives.filter((o) => o.kind === 'restoration');
    const out: IncidentInMonthView[] = [];
    for (const f of facts.inc) {
      if (f.x || !c.objectives.some((o) => counts(o, f) && this.inMonth(o, f, month))) continue;
      const base = avail ?? c.objectives[0];
      const period = base ? monthRange(month, base.timeZone) : undefined;
      const excluded = base && period ? exclusionsFor(base, facts.exc, period.start, period.end) : [];
      const end = Math.min(f.e ?? now, now);
      let downtimeMs = 0;
      if (avail && period && counts(avail, f)) {
        const from = Math.max(f.s, period.start);
        const to = Math.min(end, period.end);
        if (to > from) downtimeMs = (to - from - overlap(excluded, from, to)) * weightOf(avail, f);
      }
      const restorationExcluded = restorations[0] ? exclusionsFor(restorations[0], facts.exc, f.i - 1, Number.MAX_SAFE_INTEGER) : excluded;
      const restorationMs = Math.max(0, end - f.i - overlap(restorationExcluded, f.i, end));
      out.push({
        incidentId: f.id,
        ...(f.title ? { title: f.title } : {}),
        impact: f.impact,
        ...(f.cause ? { cause: f.cause } : {}),
        ...(!f.direct && f.via.length ? { via: f.via[0] } : {}),
        impactStart: iso(f.s),
        identifiedAt: iso(f.i),
        ...(f.e !== undefined ? { restoredAt: iso(f.e) } : {}),
        downtimeMinutes: minutes(downtimeMs),
        restorationMinutes: minutes(restorationMs),
        ...(restorations.length
          ? {
              restoration: restorations
                .filter((o) => counts(o, f) && this.inMonth(o, f, month))
                .map((o) => {
                  const ex = exclusionsFor(o, facts.exc, f.i - 1, Number.MAX_SAFE_INTEGER);
                  const ms = end - f.i - overlap(ex, f.i, end);
                  const lateMs = Math.max(0, ms - maxMsOf(o));
                  const late = lateMs > 0;
                  return { objectiveId: o.id, maxMinutes: minutes(maxMsOf(o)), met: !late, lateMinutes: minutes(lateMs), creditBasisPoints: late ? lateCredit(o, lateMs) : 0 };
                }),
            }
          : {}),
      });
    }
    return out.sort((a, b) => a.impactStart.localeCompare(b.impactStart) || a.incidentId.localeCompare(b.incidentId));
  }

  /** Without detail: the late restorations only (kept in the summary). */
  private lateOnly(c: ComponentDoc, month: MonthDoc, now: number): IncidentInMonthView[] {
    const out: IncidentInMonthView[] = [];
    for (const s of month.objectives) {
      if (s.kind !== 'restoration') continue;
      const o = c.objectives.find((x) => x.id === s.objectiveId);
      if (!o) continue;
      const items: RestorationItem[] = [...s.late, ...s.open.filter((x) => now > x.deadline)];
      for (const x of items) {
        const end = x.e ?? now;
        const ms = x.durationMs ?? end - x.i - overlap(s.openExclusions, x.i, end);
        const lateMs = ms - s.maxMs;
        out.push({
          incidentId: x.id,
          ...(x.title ? { title: x.title } : {}),
          impact: x.impact,
          ...(x.cause ? { cause: x.cause } : {}),
          ...(x.via ? { via: x.via } : {}),
          impactStart: iso(x.s),
          identifiedAt: iso(x.i),
          ...(x.e !== undefined ? { restoredAt: iso(x.e) } : {}),
          downtimeMinutes: 0,
          restorationMinutes: minutes(ms),
          restoration: [{ objectiveId: o.id, maxMinutes: minutes(s.maxMs), met: false, lateMinutes: minutes(lateMs), creditBasisPoints: lateCredit(o, lateMs) }],
        });
      }
    }
    return out;
  }

  private inMonth(o: ObjectiveView, f: IncidentFact, month: string): boolean {
    const { start, end } = monthRange(month, o.timeZone);
    return o.kind === 'availability' ? f.s < end && (f.e === undefined || f.e > start) : f.i >= start && f.i < end;
  }

  /** The error budget of each objective now, in the current month of its zone. */
  async errorBudget(c: ComponentDoc, now = Date.now()): Promise<ErrorBudgetView[]> {
    const out: ErrorBudgetView[] = [];
    const cache = new Map<string, MonthDoc>();
    for (const o of c.objectives) {
      const m = monthKeyOf(now, o.timeZone);
      let month = cache.get(m);
      if (!month) cache.set(m, (month = await this.ledger.monthOf(c, m, undefined, now)));
      const s = month.objectives.find((x) => x.objectiveId === o.id);
      if (!s) continue;
      const f = figuresOf(o, s, now);
      if (s.kind === 'availability') {
        const a = s as AvailabilitySummary;
        out.push({
          objectiveId: o.id,
          kind: o.kind,
          month: m,
          budgetMinutes: f.budgetMinutes,
          downtimeMinutes: f.downtimeMinutes,
          budgetLeftMinutes: f.budgetLeftMinutes,
          availabilityPercent: f.availabilityPercent,
          ...(a.breachAt !== undefined && (a.openCounted > 0 || a.breachAt <= now) ? { exhaustsAt: iso(a.breachAt) } : {}),
          met: f.met,
        });
      } else {
        const r = s as RestorationSummary;
        out.push({
          objectiveId: o.id,
          kind: o.kind,
          month: m,
          openIncidents: r.open.map((x) => ({ incidentId: x.id, identifiedAt: iso(x.i), deadline: iso(x.deadline) })),
          met: f.met,
        });
      }
    }
    return out;
  }
}
