import { DAY, formatDate, parseDate, parseTime } from './civil';
import { BusinessTimeError } from './errors';
import { usFederalHolidayDates } from './holidays/us-federal';
import { clip, intersect, normalise, subtract, unite } from './intervals';
import type {
  CalendarSpec,
  CombinedCalendarSpec,
  HolidaySpec,
  WeeklyCalendarSpec,
  WindowTimesSpec,
} from './spec';
import { WEEKDAYS, isCombinedSpec } from './spec';
import { collectProblems, referenceZoneOf } from './validate';
import { zoneTable, type ZoneTable } from './zone';

const { floor, max, min } = Math; // local aliases: global lookups are slow inside jest's vm sandbox
const DateCtor = Date;

/** Lazy extension never goes outside [1900-01-01, 2300-01-01) UTC. */
export const HORIZON_START = DateCtor.UTC(1900, 0, 1) / 1000;
export const HORIZON_END = DateCtor.UTC(2300, 0, 1) / 1000;
const YEAR = 366 * DAY;
/** A span this long with no business time (or no closing), after the last dated holiday/exception,
 * proves the calendar stays that way for ever (weekly windows and holiday rules repeat within a year). */
const PROOF_SPAN = 2 * YEAR;

export interface CompileOptions {
  /** Start of the compiled range (default: 1 January UTC of last year). */
  from?: Date;
  /** End of the compiled range (default: 1 January UTC, eleven years from now). */
  to?: Date;
  /**
   * true (default): a query outside the compiled range recompiles a larger range (whole years, growing
   * by at least half the current span) within [1900, 2300). false: such a query throws CALENDAR.OUT_OF_RANGE.
   */
  lazy?: boolean;
}

interface ParsedWindow {
  startSec: number;
  endSec: number;
  k: number;
  zs: ZoneTable;
  ze: ZoneTable;
  path: string;
}

interface Raw {
  /** Normalised open intervals. */
  iv: number[];
  /** Window instances, flat triples [day, start, end] (day = civil date of the window in its start zone). */
  inst: number[];
}

function parseWindow(w: WindowTimesSpec, path: string): ParsedWindow {
  const startSec = parseTime(w.start.time, false)!;
  const endSec = parseTime(w.end.time, true)!;
  const k = w.endDayOffset ?? (endSec > startSec ? 0 : 1);
  return { startSec, endSec, k, zs: zoneTable(w.start.zone), ze: zoneTable(w.end.zone), path };
}

function holidayIntervals(
  holidays: HolidaySpec[] | undefined,
  rules: CalendarSpec['holidayRules'],
  defaultZone: string | undefined,
  a: number,
  b: number,
): number[] {
  const out: number[] = [];
  const dA = floor(a / DAY) - 2;
  const dB = floor(b / DAY) + 2;
  for (const h of holidays ?? []) {
    const d = parseDate(h.date)!;
    const ed = h.endDate === undefined ? d : parseDate(h.endDate)!;
    if (ed < dA || d > dB) continue;
    const z = zoneTable((h.zone ?? defaultZone)!);
    const s = h.start === undefined ? 0 : parseTime(h.start, false)!;
    const e = h.end === undefined ? DAY : parseTime(h.end, true)!;
    out.push(z.localToUtc(d * DAY + s), z.localToUtc(ed * DAY + e));
  }
  if (rules && rules.length > 0) {
    const y0 = new DateCtor(dA * DAY * 1000).getUTCFullYear();
    const y1 = new DateCtor(dB * DAY * 1000).getUTCFullYear();
    const dates = usFederalHolidayDates(y0, y1);
    for (const r of rules) {
      const z = zoneTable((r.zone ?? defaultZone)!);
      for (const h of dates) {
        const d = parseDate(h.date)!;
        out.push(z.localToUtc(d * DAY), z.localToUtc((d + 1) * DAY));
      }
    }
  }
  return normalise(out);
}

function compileWeekly(spec: WeeklyCalendarSpec, a: number, b: number, defaultZone: string | undefined): Raw {
  const byWeekday: ParsedWindow[][] = [[], [], [], [], [], [], []];
  let maxK = 0;
  const zones = new Set<ZoneTable>();
  spec.windows.forEach((w, i) => {
    const p = parseWindow(w, `windows[${i}]`);
    maxK = max(maxK, p.k);
    zones.add(p.zs).add(p.ze);
    for (const d of w.days) byWeekday[WEEKDAYS.indexOf(d)]!.push(p);
  });
  const exceptions = new Map<number, ParsedWindow[]>();
  (spec.exceptions ?? []).forEach((x, i) => {
    const d = parseDate(x.date)!;
    const list = exceptions.get(d) ?? [];
    (x.windows ?? []).forEach((w, j) => {
      const p = parseWindow(w, `exceptions[${i}].windows[${j}]`);
      maxK = max(maxK, p.k);
      zones.add(p.zs).add(p.ze);
      list.push(p);
    });
    if (x.like !== undefined) list.push(...byWeekday[WEEKDAYS.indexOf(x.like)]!);
    exceptions.set(d, list);
  });
  const dA = floor(a / DAY) - maxK - 2;
  const dB = floor(b / DAY) + 2;
  for (const z of zones) z.ensure(dA * DAY - DAY, (dB + maxK + 2) * DAY);

  const regular: number[] = [];
  const extra: number[] = [];
  const inst: number[] = [];
  for (let D = dA; D <= dB; D++) {
    const exc = exceptions.get(D);
    const list = exc ?? byWeekday[(((D + 3) % 7) + 7) % 7]!;
    const target = exc ? extra : regular;
    for (let i = 0; i < list.length; i++) {
      const w = list[i]!;
      const S = w.zs.localToUtc(D * DAY + w.startSec);
      const E = w.ze.localToUtc((D + w.k) * DAY + w.endSec);
      if (E <= S) {
        if (E === S) continue; // e.g. 02:00 → 03:00 on a spring-forward day
        throw new BusinessTimeError(
          'CALENDAR.END_BEFORE_START',
          `${w.path} (${w.zs.zone} → ${w.ze.zone}) ends before it starts on ${formatDate(D)}; set endDayOffset`,
        );
      }
      target.push(S, E);
      inst.push(D, S, E);
    }
  }
  const holidays = holidayIntervals(spec.holidays, spec.holidayRules, spec.zone ?? defaultZone, a, b);
  const iv = unite(subtract(normalise(regular), holidays), normalise(extra));
  return { iv, inst };
}

function compileRaw(spec: CalendarSpec, a: number, b: number, inheritedZone: string | undefined): Raw {
  const zone = referenceZoneOf(spec) ?? inheritedZone;
  if (isCombinedSpec(spec)) {
    const c: CombinedCalendarSpec = spec;
    const parts = c.calendars.map((child) => compileRaw(child, a, b, zone));
    let iv = parts[0]!.iv;
    for (let i = 1; i < parts.length; i++)
      iv = c.kind === 'union' ? unite(iv, parts[i]!.iv) : intersect(iv, parts[i]!.iv);
    const holidays = holidayIntervals(c.holidays, c.holidayRules, zone, a, b);
    const inst: number[] = [];
    for (const p of parts) for (const x of p.inst) inst.push(x);
    return { iv: subtract(iv, holidays), inst };
  }
  return compileWeekly(spec, a, b, zone);
}

/** First/last dated day (explicit holiday or exception) anywhere in the spec, or undefined. */
function datedBounds(spec: CalendarSpec, acc: { min: number; max: number }): void {
  for (const h of spec.holidays ?? []) {
    acc.min = min(acc.min, parseDate(h.date)!);
    acc.max = max(acc.max, parseDate(h.endDate ?? h.date)!);
  }
  if (isCombinedSpec(spec)) {
    for (const c of spec.calendars) datedBounds(c, acc);
  } else {
    for (const x of spec.exceptions ?? []) {
      const d = parseDate(x.date)!;
      acc.min = min(acc.min, d);
      acc.max = max(acc.max, d);
    }
  }
}

function yearFloor(t: number): number {
  const y = new DateCtor(t * 1000).getUTCFullYear();
  return DateCtor.UTC(y, 0, 1) / 1000;
}

function yearCeil(t: number): number {
  const f = yearFloor(t);
  return f === t ? t : DateCtor.UTC(new DateCtor(t * 1000).getUTCFullYear() + 1, 0, 1) / 1000;
}

function toEpochSeconds(d: Date, what: string): number {
  if (!(d instanceof DateCtor) || Number.isNaN(d.getTime())) {
    throw new BusinessTimeError('ARGUMENT.INVALID_DATE', `${what} must be a valid Date`);
  }
  return floor(d.getTime() / 1000);
}

/**
 * A calendar compiled for fast queries: its open time as sorted, disjoint UTC intervals (epoch seconds)
 * with a prefix sum of business seconds. Every query is one or two binary searches; no time-zone work.
 * Immutable from the outside; lazy range extension replaces the arrays in place (single-threaded JS).
 */
export class CompiledCalendar {
  readonly spec: CalendarSpec;
  /** Zone whose dates define "business day" in nextBusinessDayStart. */
  readonly referenceZone: string;
  readonly lazy: boolean;
  /** @internal compiled range [from, to) in epoch seconds */
  from = 0;
  /** @internal */
  to = 0;
  /** @internal open interval starts (epoch seconds, ascending) */
  starts: Float64Array = new Float64Array(0);
  /** @internal open interval ends; ends[i] < starts[i + 1] */
  ends: Float64Array = new Float64Array(0);
  /** @internal cum[i] = business seconds in [from, starts[i]); length n + 1 */
  cum: Float64Array = new Float64Array(1);
  /** @internal number of intervals */
  n = 0;
  /** @internal business days (window dates) ascending, and the first open instant of each */
  dayKeys: Int32Array = new Int32Array(0);
  /** @internal */
  dayStarts: Float64Array = new Float64Array(0);
  /** @internal */
  refTable: ZoneTable;
  private readonly firstDated: number;
  private readonly lastDated: number;
  /** How many times the range was (re)compiled, including the first time. */
  compilations = 0;

  /** @internal use compileCalendar() */
  constructor(spec: CalendarSpec, from: number, to: number, lazy: boolean) {
    this.spec = spec;
    this.lazy = lazy;
    const ref = referenceZoneOf(spec) ?? 'UTC';
    this.referenceZone = ref;
    this.refTable = zoneTable(ref);
    const acc = { min: Infinity, max: -Infinity };
    datedBounds(spec, acc);
    this.firstDated = acc.min;
    this.lastDated = acc.max;
    this.build(from, to);
  }

  /** Start of the compiled range. */
  get rangeStart(): Date {
    return new DateCtor(this.from * 1000);
  }

  /** End of the compiled range (exclusive). */
  get rangeEnd(): Date {
    return new DateCtor(this.to * 1000);
  }

  get intervalCount(): number {
    return this.n;
  }

  /** Business seconds in the compiled range. */
  get totalBusinessSeconds(): number {
    return this.cum[this.n]!;
  }

  private build(from: number, to: number): void {
    const raw = compileRaw(this.spec, from, to, undefined);
    const iv = clip(raw.iv, from, to);
    const n = iv.length >> 1;
    const starts = new Float64Array(n);
    const ends = new Float64Array(n);
    const cum = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      starts[i] = iv[2 * i]!;
      ends[i] = iv[2 * i + 1]!;
      cum[i + 1] = cum[i]! + (ends[i]! - starts[i]!);
    }
    this.from = from;
    this.to = to;
    this.starts = starts;
    this.ends = ends;
    this.cum = cum;
    this.n = n;
    this.refTable.ensure(from - 2 * DAY, to + 2 * DAY);
    this.buildDays(raw.inst);
    this.compilations++;
  }

  /** For each window instance: its first open instant (holidays may cut or remove it); keep the earliest per day. */
  private buildDays(inst: number[]): void {
    const m = inst.length / 3;
    const order = Array.from({ length: m }, (_, i) => i);
    order.sort((x, y) => inst[3 * x]! - inst[3 * y]! || inst[3 * x + 1]! - inst[3 * y + 1]!);
    const keys: number[] = [];
    const at: number[] = [];
    for (const i of order) {
      const day = inst[3 * i]!;
      const s = max(inst[3 * i + 1]!, this.from);
      const e = min(inst[3 * i + 2]!, this.to);
      if (s >= e) continue;
      const first = this.firstOpenIn(s, e);
      if (first === undefined) continue;
      const last = keys.length - 1;
      if (last >= 0 && keys[last] === day) {
        if (first < at[last]!) at[last] = first;
      } else {
        keys.push(day);
        at.push(first);
      }
    }
    this.dayKeys = Int32Array.from(keys);
    this.dayStarts = Float64Array.from(at);
  }

  private firstOpenIn(s: number, e: number): number | undefined {
    const i = this.indexAtOrBefore(s);
    if (i >= 0 && s < this.ends[i]!) return s;
    const j = i + 1;
    return j < this.n && this.starts[j]! < e ? this.starts[j] : undefined;
  }

  /** @internal index of the last interval starting at or before t, or -1 */
  indexAtOrBefore(t: number): number {
    const st = this.starts;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (st[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** @internal business seconds in [from, t]; t within [from, to] */
  businessBefore(t: number): number {
    const i = this.indexAtOrBefore(t);
    if (i < 0) return 0;
    const e = this.ends[i]!;
    return t < e ? this.cum[i]! + (t - this.starts[i]!) : this.cum[i + 1]!;
  }

  /** @internal makes the compiled range include [a, b] (b may equal `to`'s new value) */
  cover(a: number, b: number): void {
    if (a >= this.from && b <= this.to) return;
    if (!this.lazy || a < HORIZON_START || b > HORIZON_END) {
      throw new BusinessTimeError(
        'CALENDAR.OUT_OF_RANGE',
        `${new DateCtor(a * 1000).toISOString()}..${new DateCtor(b * 1000).toISOString()} is outside the compiled range ${this.rangeStart.toISOString()}..${this.rangeEnd.toISOString()}${this.lazy ? ' and the supported horizon 1900..2300' : ' (compiled with lazy: false)'}`,
      );
    }
    const grow = max(YEAR, (this.to - this.from) / 2);
    const from = a < this.from ? max(HORIZON_START, yearFloor(min(a, this.from - grow))) : this.from;
    const to = b > this.to ? min(HORIZON_END, yearCeil(max(b, this.to + grow))) : this.to;
    this.build(from, to);
  }

  /** @internal compiles further into the future; throws at the horizon or when not lazy */
  growForward(): void {
    if (this.to >= HORIZON_END) this.cover(this.from, HORIZON_END + 1);
    this.cover(this.from, min(HORIZON_END, this.to + 1));
  }

  /** @internal */
  growBackward(): void {
    if (this.from <= HORIZON_START) this.cover(HORIZON_START - 1, this.to);
    this.cover(max(HORIZON_START, this.from - 1), this.to);
  }

  /** @internal true when the last PROOF_SPAN of the range (after every dated entry) has no business time */
  tailEmpty(): boolean {
    const probe = max(this.to - PROOF_SPAN, (this.lastDated + 2) * DAY);
    return this.to - probe >= PROOF_SPAN && this.businessBefore(probe) === this.cum[this.n];
  }

  /** @internal */
  headEmpty(): boolean {
    const probe = min(this.from + PROOF_SPAN, (this.firstDated - 1) * DAY);
    return probe - this.from >= PROOF_SPAN && this.businessBefore(probe) === 0;
  }

  /** @internal true when the range ends inside one open interval that spans the last PROOF_SPAN after every dated entry */
  tailAlwaysOpen(): boolean {
    const probe = max(this.to - PROOF_SPAN, (this.lastDated + 2) * DAY);
    const i = this.n - 1;
    return this.to - probe >= PROOF_SPAN && i >= 0 && this.ends[i] === this.to && this.starts[i]! <= probe;
  }

  /** @internal */
  headAlwaysOpen(): boolean {
    const probe = min(this.from + PROOF_SPAN, (this.firstDated - 1) * DAY);
    return (
      probe - this.from >= PROOF_SPAN && this.n > 0 && this.starts[0] === this.from && this.ends[0]! >= probe
    );
  }
}

/**
 * Validates and compiles a calendar spec. Throws BusinessTimeError (code of the first problem, all problems
 * in `error.problems`) for an invalid spec, CALENDAR.INVALID_RANGE when from ≥ to.
 */
export function compileCalendar(spec: CalendarSpec, options: CompileOptions = {}): CompiledCalendar {
  const problems = collectProblems(spec);
  if (problems.length > 0) {
    const first = problems[0]!;
    const more =
      problems.length > 1
        ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`
        : '';
    throw new BusinessTimeError(first.code, `invalid calendar spec: ${first.message}${more}`, problems);
  }
  const y = new DateCtor().getUTCFullYear();
  const from = options.from ? toEpochSeconds(options.from, 'options.from') : DateCtor.UTC(y - 1, 0, 1) / 1000;
  const to = options.to ? toEpochSeconds(options.to, 'options.to') : DateCtor.UTC(y + 11, 0, 1) / 1000;
  if (!(from < to))
    throw new BusinessTimeError('CALENDAR.INVALID_RANGE', 'options.from must be before options.to');
  if (from < HORIZON_START || to > HORIZON_END) {
    throw new BusinessTimeError(
      'CALENDAR.INVALID_RANGE',
      'the compiled range must lie within 1900-01-01..2300-01-01',
    );
  }
  return new CompiledCalendar(spec, from, to, options.lazy ?? true);
}
