import { ObjectiveView } from '@sladesk/contracts';
import { parseIsoDuration } from '@sladesk/business-time';
import { monthRange } from './month';

/**
 * The arithmetic of objectives, pure: from the facts of one component-month (incidents and exclusions)
 * to what the month's report and the error budget show. No I/O, no clock except the `now` it is given.
 *
 * Downtime is a step function over the month: at every instant its weight is that of the worst counted
 * incident then (outage 1, degraded its weight), and 0 inside an excluded window. Overlapping incidents
 * therefore count once; exclusions remove time whatever overlaps them.
 */

/** An incident as the ledger keeps it for one component (see ledger.service.ts). */
export interface IncidentFact {
  id: string;
  /** Revision of the incident this fact comes from (the newest wins). */
  r: number;
  /** Removed from this component-month by a correction (a tombstone, so an older revision cannot bring it back). */
  x?: boolean;
  /** It names this component. */
  direct: boolean;
  /** Components it names whose incidents count here through a `countsFrom` rule. */
  via: string[];
  impact: 'outage' | 'degraded';
  /** Degraded weight given by the incident itself (basis points). */
  w?: number;
  /** impact start, identified at, restored at (epoch ms). */
  s: number;
  i: number;
  e?: number;
  cause?: string;
  title?: string;
}

export interface ExclusionFact {
  id: string;
  r: number;
  x?: boolean;
  k: string;
  s: number;
  e: number;
}

export interface Segment {
  f: number;
  t: number;
  /** Weight (0…1]. */
  w: number;
}

export interface AvailabilitySummary {
  objectiveId: string;
  kind: 'availability';
  start: number;
  end: number;
  excludedMs: number;
  /** Allowed weighted downtime in the month (ms). */
  budgetMs: number;
  /** Weighted downtime before `tailFrom`; after it, `tail` (open incidents are taken to last to the month's end). */
  headMs: number;
  tailFrom: number;
  tail: Segment[];
  /** When the counted downtime exceeds the budget if nothing changes (open incidents continue), if ever. */
  breachAt?: number;
  /** The counted incident open at `breachAt` (or the one whose downtime exceeded the budget). */
  breachIncidentId?: string;
  incidentsCounted: number;
  openCounted: number;
}

export interface RestorationItem {
  id: string;
  title?: string;
  impact: 'outage' | 'degraded';
  cause?: string;
  /** Counted through a `countsFrom` rule from this component. */
  via?: string;
  s: number;
  i: number;
  e?: number;
  /** When the restoration becomes late (identification + maximum, excluded time added). */
  deadline: number;
  /** For a restored incident: its restoration time, excluded time removed. */
  durationMs?: number;
}

export interface RestorationSummary {
  objectiveId: string;
  kind: 'restoration';
  start: number;
  end: number;
  excludedMs: number;
  maxMs: number;
  incidentsCounted: number;
  /** Restored incidents: the longest restoration, the late ones (at most LATE_KEPT kept). */
  longestMs: number;
  late: RestorationItem[];
  lateCount: number;
  restoredCreditBp: number;
  /** Open incidents, with their deadlines. */
  open: RestorationItem[];
  /** Excluded windows after the earliest open identification (for the open ones' elapsed time). */
  openExclusions: Segment[];
}

export type ObjectiveSummary = AvailabilitySummary | RestorationSummary;

/** Late restorations kept in a month's summary (the count is exact; the list is for the report). */
export const LATE_KEPT = 100;

const FULL = 10_000;

/** Targets and tiers as integer parts per million, so "below 99.9 %" is an exact comparison. */
export const ppm = (percent: number): number => Math.round(percent * 10_000);

export function weightOf(o: ObjectiveView, f: IncidentFact): number {
  if (f.impact === 'outage') return 1;
  return (f.w ?? o.degradedWeightBasisPoints) / FULL;
}

/** Whether an incident counts against an objective: it names the component, or a `countsFrom` rule brings it in. */
export function counts(o: ObjectiveView, f: IncidentFact): boolean {
  if (f.x) return false;
  if (f.direct) return true;
  return f.via.some((src) => o.countsFrom.some((r) => r.componentId === src && (!r.causes || (f.cause !== undefined && r.causes.includes(f.cause)))));
}

/** Union of intervals, sorted and merged, clipped to [from, to). */
export function mergeIntervals(list: readonly { s: number; e: number }[], from: number, to: number): Segment[] {
  const clipped = list
    .map((x) => ({ f: Math.max(x.s, from), t: Math.min(x.e, to) }))
    .filter((x) => x.t > x.f)
    .sort((a, b) => a.f - b.f);
  const out: Segment[] = [];
  for (const x of clipped) {
    const last = out[out.length - 1];
    if (last && x.f <= last.t) last.t = Math.max(last.t, x.t);
    else out.push({ f: x.f, t: x.t, w: 1 });
  }
  return out;
}

const measure = (segs: readonly Segment[]) => segs.reduce((n, x) => n + (x.t - x.f), 0);

/** Excluded time of [from, to) in merged windows. */
export function overlap(segs: readonly Segment[], from: number, to: number): number {
  let n = 0;
  for (const x of segs) {
    if (x.t <= from) continue;
    if (x.f >= to) break;
    n += Math.min(x.t, to) - Math.max(x.f, from);
  }
  return n;
}

export function exclusionsFor(o: ObjectiveView, exclusions: readonly ExclusionFact[], from: number, to: number): Segment[] {
  return mergeIntervals(
    exclusions.filter((x) => !x.x && o.excludes.includes(x.k)),
    from,
    to,
  );
}

/**
 * The weighted downtime step function of [from, to): for each elementary interval the highest weight of
 * the incidents covering it, 0 where excluded; adjacent pieces of one weight merged.
 */
export function downtimeSegments(intervals: readonly { f: number; t: number; w: number }[], excluded: readonly Segment[]): Segment[] {
  const points = new Set<number>();
  for (const x of intervals) {
    points.add(x.f);
    points.add(x.t);
  }
  for (const x of excluded) {
    points.add(x.f);
    points.add(x.t);
  }
  const sorted = [...points].sort((a, b) => a - b);
  const starts = [...intervals].sort((a, b) => a.f - b.f);
  const active: { t: number; w: number }[] = [];
  const out: Segment[] = [];
  let si = 0;
  let ei = 0;
  for (let p = 0; p + 1 < sorted.length; p++) {
    const a = sorted[p];
    const b = sorted[p + 1];
    while (si < starts.length && starts[si].f <= a) active.push(starts[si++]);
    for (let k = active.length - 1; k >= 0; k--) if (active[k].t <= a) active.splice(k, 1);
    while (ei < excluded.length && excluded[ei].t <= a) ei++;
    const isExcluded = ei < excluded.length && excluded[ei].f <= a;
    let w = 0;
    if (!isExcluded) for (const x of active) if (x.w > w) w = x.w;
    if (w <= 0) continue;
    const last = out[out.length - 1];
    if (last && last.t === a && last.w === w) last.t = b;
    else out.push({ f: a, t: b, w });
  }
  return out;
}

/** Weighted downtime of the segments before `at`. */
export function downtimeBefore(segs: readonly Segment[], at: number): number {
  let n = 0;
  for (const x of segs) {
    if (x.f >= at) break;
    n += (Math.min(x.t, at) - x.f) * x.w;
  }
  return n;
}

export function availabilitySummary(o: ObjectiveView, month: string, incidents: readonly IncidentFact[], exclusions: readonly ExclusionFact[]): AvailabilitySummary {
  const { start, end } = monthRange(month, o.timeZone);
  const excluded = exclusionsFor(o, exclusions, start, end);
  const excludedMs = measure(excluded);
  const counted = incidents.filter((f) => counts(o, f) && f.s < end && (f.e === undefined || f.e > start) && (f.e === undefined || f.e > f.s));
  const intervals = counted.map((f) => ({ f: Math.max(f.s, start), t: Math.min(f.e ?? end, end), w: weightOf(o, f), id: f.id, open: f.e === undefined }));
  const segs = downtimeSegments(intervals, excluded);
  const open = intervals.filter((x) => x.open);
  const tailFrom = open.length ? Math.min(...open.map((x) => x.f)) : end;
  const budgetMs = ((1_000_000 - ppm(o.targetPercent ?? 100)) * (end - start - excludedMs)) / 1_000_000;
  // The first instant the downtime exceeds the budget: inside the segment where the running sum crosses it.
  let breachAt: number | undefined;
  let sum = 0;
  for (const x of segs) {
    const here = (x.t - x.f) * x.w;
    if (sum + here > budgetMs) {
      breachAt = Math.ceil(x.f + (budgetMs - sum) / x.w);
      break;
    }
    sum += here;
  }
  let breachIncidentId: string | undefined;
  if (breachAt !== undefined) {
    const at = breachAt;
    const covering = intervals.filter((x) => x.f <= at && x.t >= at).sort((a, b) => b.w - a.w || a.f - b.f);
    breachIncidentId = covering[0]?.id;
  }
  return {
    objectiveId: o.id,
    kind: 'availability',
    start,
    end,
    excludedMs,
    budgetMs,
    headMs: downtimeBefore(segs, tailFrom),
    tailFrom,
    tail: segs
      .filter((x) => x.t > tailFrom)
      .map((x) => ({ f: Math.max(x.f, tailFrom), t: x.t, w: x.w })),
    ...(breachAt !== undefined ? { breachAt } : {}),
    ...(breachIncidentId ? { breachIncidentId } : {}),
    incidentsCounted: counted.length,
    openCounted: open.length,
  };
}

/** Weighted downtime of an availability summary up to `now` (open incidents count until now). */
export function downtimeAt(s: AvailabilitySummary, now: number): number {
  if (now <= s.tailFrom) return s.headMs;
  return s.headMs + downtimeBefore(s.tail, now);
}

/**
 * Figures of an availability objective at `now`: availability over the time not excluded, met when the
 * downtime stays within the budget, and the credit of the lowest tier the availability is below.
 */
export function availabilityFigures(o: ObjectiveView, s: AvailabilitySummary, now: number) {
  const downtimeMs = downtimeAt(s, Math.min(now, s.end));
  const countedMs = s.end - s.start - s.excludedMs;
  const availability = countedMs > 0 ? (countedMs - downtimeMs) / countedMs : 1;
  // exact comparisons: downtime·10⁶ against (10⁶ − ppm)·countedMs
  const below = (percent: number) => downtimeMs * 1_000_000 > (1_000_000 - ppm(percent)) * countedMs;
  const met = !below(o.targetPercent ?? 100);
  let creditBp = 0;
  for (const tier of o.availabilityCredits ?? []) if (below(tier.belowPercent) && tier.creditBasisPoints > creditBp) creditBp = tier.creditBasisPoints;
  return {
    downtimeMs,
    countedMs,
    availabilityPercent: availability * 100,
    budgetMs: s.budgetMs,
    budgetLeftMs: s.budgetMs - downtimeMs,
    met,
    creditBp: Math.min(creditBp, o.creditCapBasisPoints),
  };
}

/** The instant a restoration is late: `max` of time not excluded after identification. */
export function deadlineOf(identifiedAt: number, maxMs: number, excluded: readonly Segment[]): number {
  let t = identifiedAt;
  let left = maxMs;
  for (const x of excluded) {
    if (x.t <= t) continue;
    if (x.f > t) {
      if (x.f - t >= left) return t + left;
      left -= x.f - t;
    }
    t = Math.max(t, x.t);
  }
  return t + left;
}

/** The credit of one late restoration: the highest tier it is later than. */
export function lateCredit(o: ObjectiveView, lateMs: number): number {
  let bp = 0;
  for (const tier of o.restorationCredits ?? []) if (lateMs > tier.overMinutes * 60_000 && tier.creditBasisPoints > bp) bp = tier.creditBasisPoints;
  return bp;
}

export const maxMsOf = (o: ObjectiveView): number => parseIsoDuration(o.maxDuration ?? 'PT1H') * 1000;

export function restorationItem(o: ObjectiveView, f: IncidentFact, excluded: readonly Segment[]): RestorationItem {
  const maxMs = maxMsOf(o);
  const deadline = deadlineOf(f.i, maxMs, excluded);
  return {
    id: f.id,
    ...(f.title ? { title: f.title } : {}),
    impact: f.impact,
    ...(f.cause ? { cause: f.cause } : {}),
    ...(!f.direct && f.via.length ? { via: f.via[0] } : {}),
    s: f.s,
    i: f.i,
    ...(f.e !== undefined ? { e: f.e, durationMs: f.e - f.i - overlap(excluded, f.i, f.e) } : {}),
    deadline,
  };
}

export function restorationSummary(o: ObjectiveView, month: string, incidents: readonly IncidentFact[], exclusions: readonly ExclusionFact[]): RestorationSummary {
  const { start, end } = monthRange(month, o.timeZone);
  const maxMs = maxMsOf(o);
  // excluded time may extend a deadline past the month's end: take the windows the ledger knows, unclipped
  const excluded = exclusionsFor(o, exclusions, start - 1, Number.MAX_SAFE_INTEGER);
  const counted = incidents.filter((f) => counts(o, f) && f.i >= start && f.i < end);
  let longestMs = 0;
  let lateCount = 0;
  let restoredCreditBp = 0;
  const late: RestorationItem[] = [];
  const open: RestorationItem[] = [];
  for (const f of counted) {
    const item = restorationItem(o, f, excluded);
    if (item.durationMs === undefined) {
      open.push(item);
      continue;
    }
    longestMs = Math.max(longestMs, item.durationMs);
    if (item.durationMs > maxMs) {
      lateCount++;
      restoredCreditBp += lateCredit(o, item.durationMs - maxMs);
      if (late.length < LATE_KEPT) late.push(item);
    }
  }
  const openFrom = open.length ? Math.min(...open.map((x) => x.i)) : end;
  return {
    objectiveId: o.id,
    kind: 'restoration',
    start,
    end,
    excludedMs: measure(mergeIntervals(excluded.map((x) => ({ s: x.f, e: x.t })), start, end)),
    maxMs,
    incidentsCounted: counted.length,
    longestMs,
    late,
    lateCount,
    restoredCreditBp,
    open,
    openExclusions: excluded.filter((x) => x.t > openFrom),
  };
}

/** Figures of a restoration objective at `now`: open incidents past their deadline are late already. */
export function restorationFigures(o: ObjectiveView, s: RestorationSummary, now: number) {
  let lateCount = s.lateCount;
  let creditBp = s.restoredCreditBp;
  let longestMs = s.longestMs;
  for (const x of s.open) {
    const elapsed = now - x.i - overlap(s.openExclusions, x.i, now);
    longestMs = Math.max(longestMs, elapsed);
    if (now > x.deadline) {
      lateCount++;
      creditBp += lateCredit(o, elapsed - s.maxMs);
    }
  }
  return { lateCount, longestMs, met: lateCount === 0, creditBp: Math.min(creditBp, o.creditCapBasisPoints) };
}

export function summarize(o: ObjectiveView, month: string, incidents: readonly IncidentFact[], exclusions: readonly ExclusionFact[]): ObjectiveSummary {
  return o.kind === 'availability' ? availabilitySummary(o, month, incidents, exclusions) : restorationSummary(o, month, incidents, exclusions);
}
