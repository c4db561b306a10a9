/**
 * Brute-force oracle for property tests. It does not share code with the library's compiler: it walks the
 * time line minute by minute, reads every zone's wall clock from Intl at each minute, and evaluates the
 * documented definition directly:
 *
 *   a boundary "local L in zone Z" is the first instant at which Z's wall clock has shown a time ≥ L
 *   (running maximum of the wall clock ≥ L).
 *
 * Only valid for calendars whose times are whole minutes in zones whose offsets are whole minutes.
 */
import type { CalendarSpec, HolidaySpec, WeeklyCalendarSpec, WindowTimesSpec } from '../src';

const { floor, max, min } = Math; // global lookups are slow inside jest's vm sandbox
const DateUTC = Date.UTC;

export const MIN = 60;
const MIN_MS = MIN * 1000;
export const DAY = 86400;
const WD = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

const dtfs = new Map<string, Intl.DateTimeFormat>();
function wallAt(zone: string, u: number): number {
  let f = dtfs.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    dtfs.set(zone, f);
  }
  const p = f.format(u * 1000).split(/\D+/);
  return DateUTC(+p[2]!, +p[0]! - 1, +p[1]!, +p[3]!, +p[4]!, +p[5]!) / 1000;
}

/** A stretch of time with per-minute wall clocks (cached per zone). */
export class Timeline {
  private readonly walls = new Map<string, Float64Array>();
  private readonly maxes = new Map<string, Float64Array>();
  readonly minutes: number;
  constructor(
    readonly t0: number,
    readonly t1: number,
  ) {
    this.minutes = (t1 - t0) / MIN;
  }

  wall(zone: string): Float64Array {
    let w = this.walls.get(zone);
    if (!w) {
      w = new Float64Array(this.minutes);
      for (let m = 0; m < this.minutes; m++) w[m] = wallAt(zone, this.t0 + m * MIN);
      this.walls.set(zone, w);
    }
    return w;
  }

  runningMax(zone: string): Float64Array {
    let r = this.maxes.get(zone);
    if (!r) {
      const w = this.wall(zone);
      r = new Float64Array(this.minutes);
      let mx = -Infinity;
      for (let m = 0; m < this.minutes; m++) {
        mx = max(mx, w[m]!);
        r[m] = mx;
      }
      this.maxes.set(zone, r);
    }
    return r;
  }

  /** Minute index of the first instant whose wall clock (running max) shows ≥ local L; `minutes` if none. */
  firstMinuteAtLeast(zone: string, L: number): number {
    const r = this.runningMax(zone);
    let m = 0;
    // linear scan from a coarse guess keeps it obviously brute force yet fast enough
    const guess = floor((L - 16 * 3600 - this.t0) / MIN);
    if (guess > 0) m = min(guess, this.minutes);
    while (m > 0 && r[m - 1]! >= L) m--;
    while (m < this.minutes && r[m]! < L) m++;
    return m;
  }
}

function hmsToSec(s: string): number {
  const [h, m, x] = s.split(':').map(Number);
  return h! * 3600 + m! * 60 + (x ?? 0);
}

function dayOf(date: string): number {
  return DateUTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / 1000 / DAY;
}

export interface OracleCalendar {
  open: Uint8Array;
  /** window instances: [day, firstOpenMinute] per business day (earliest), ascending by day */
  days: Array<[number, number]>;
  /** a window instance ended before it started on this day */
  endBeforeStart?: number;
}

interface Inst {
  day: number;
  s: number;
  e: number;
}

function setRange(bits: Uint8Array, s: number, e: number, v: number): void {
  const end = min(e, bits.length);
  for (let m = max(0, s); m < end; m++) bits[m] = v;
}

function windowMinutes(tl: Timeline, w: WindowTimesSpec, D: number): { s: number; e: number; bad: boolean } {
  const ss = hmsToSec(w.start.time);
  const es = hmsToSec(w.end.time);
  const k = w.endDayOffset ?? (es > ss ? 0 : 1);
  // compare actual instants: the first-minute indexes order the same way as instants
  const s = tl.firstMinuteAtLeast(w.start.zone, D * DAY + ss);
  const e = tl.firstMinuteAtLeast(w.end.zone, (D + k) * DAY + es);
  return { s, e, bad: e < s };
}

function holidayBits(tl: Timeline, hs: HolidaySpec[] | undefined, zone: string | undefined): Uint8Array {
  const bits = new Uint8Array(tl.minutes);
  for (const h of hs ?? []) {
    const z = h.zone ?? zone!;
    const d = dayOf(h.date);
    const ed = h.endDate ? dayOf(h.endDate) : d;
    const s = tl.firstMinuteAtLeast(z, d * DAY + (h.start ? hmsToSec(h.start) : 0));
    const e = tl.firstMinuteAtLeast(z, ed * DAY + (h.end ? hmsToSec(h.end) : DAY));
    setRange(bits, s, e, 1);
  }
  return bits;
}

function refZone(spec: CalendarSpec): string | undefined {
  if (spec.zone) return spec.zone;
  if (spec.kind === 'union' || spec.kind === 'intersection') {
    for (const c of spec.calendars) {
      const z = refZone(c);
      if (z) return z;
    }
    return undefined;
  }
  return (spec as WeeklyCalendarSpec).windows[0]?.start.zone;
}

function evalSpec(
  tl: Timeline,
  spec: CalendarSpec,
  days: [number, number],
  inherited: string | undefined,
): { bits: Uint8Array; inst: Inst[]; bad?: number } {
  const zone = refZone(spec) ?? inherited;
  if (spec.kind === 'union' || spec.kind === 'intersection') {
    const parts = spec.calendars.map((c) => evalSpec(tl, c, days, zone));
    const bits = new Uint8Array(tl.minutes);
    for (let m = 0; m < tl.minutes; m++) {
      let v = spec.kind === 'union' ? 0 : 1;
      for (const p of parts) v = spec.kind === 'union' ? v | p.bits[m]! : v & p.bits[m]!;
      bits[m] = v;
    }
    const hol = holidayBits(tl, spec.holidays, zone);
    for (let m = 0; m < tl.minutes; m++) if (hol[m]) bits[m] = 0;
    const bad = parts.map((p) => p.bad).filter((x) => x !== undefined);
    return {
      bits,
      inst: parts.flatMap((p) => p.inst),
      bad: bad.length ? min(...(bad as number[])) : undefined,
    };
  }
  const w = spec as WeeklyCalendarSpec;
  const regular = new Uint8Array(tl.minutes);
  const extra = new Uint8Array(tl.minutes);
  const inst: Inst[] = [];
  let bad: number | undefined;
  for (let D = days[0]; D <= days[1]; D++) {
    const wd = WD[(((D + 3) % 7) + 7) % 7]!;
    const exc = (w.exceptions ?? []).filter((x) => dayOf(x.date) === D);
    let list: WindowTimesSpec[];
    if (exc.length > 0) {
      list = exc.flatMap((x) => [
        ...(x.windows ?? []),
        ...(x.like ? w.windows.filter((y) => y.days.includes(x.like!)) : []),
      ]);
    } else {
      list = w.windows.filter((y) => y.days.includes(wd as never));
    }
    for (const win of list) {
      const r = windowMinutes(tl, win, D);
      if (r.bad) {
        if (bad === undefined) bad = D;
        continue;
      }
      setRange(exc.length > 0 ? extra : regular, r.s, r.e, 1);
      if (r.e > r.s) inst.push({ day: D, s: r.s, e: r.e });
    }
  }
  const hol = holidayBits(tl, w.holidays, zone);
  const bits = new Uint8Array(tl.minutes);
  for (let m = 0; m < tl.minutes; m++) bits[m] = (regular[m]! && !hol[m]) || extra[m] ? 1 : 0;
  return { bits, inst, bad };
}

/** Evaluates a spec on a timeline. `days` = the window dates to generate (the compiler's own range). */
export function oracleCalendar(tl: Timeline, spec: CalendarSpec, days: [number, number]): OracleCalendar {
  const r = evalSpec(tl, spec, days, undefined);
  const perDay = new Map<number, number>();
  for (const i of r.inst) {
    let first = -1;
    for (let m = i.s; m < i.e; m++) {
      if (r.bits[m]) {
        first = m;
        break;
      }
    }
    if (first < 0) continue;
    const cur = perDay.get(i.day);
    if (cur === undefined || first < cur) perDay.set(i.day, first);
  }
  const dayList = [...perDay.entries()].sort((a, b) => a[0] - b[0]);
  return { open: r.bits, days: dayList, endBeforeStart: r.bad };
}

/**
 * Queries answered by walking minute by minute. Instants and amounts are epoch MILLISECONDS (integers, so the
 * arithmetic is exact); undefined = beyond the timeline.
 */
export class OracleQueries {
  /** Minutes [lo, hi) are trusted: windows of dates outside the evaluated ones cannot reach them. */
  private readonly lo: number;
  private readonly hi: number;
  private readonly t0: number;
  constructor(
    readonly tl: Timeline,
    readonly cal: OracleCalendar,
    readonly refZone: string,
  ) {
    this.lo = 4 * 1440;
    this.hi = tl.minutes - 1440;
    this.t0 = tl.t0 * 1000;
  }

  private idx(t: number): number {
    return floor((t - this.t0) / MIN_MS);
  }

  private minute(m: number): number {
    return this.t0 + m * MIN_MS;
  }

  isOpen(t: number): boolean {
    return this.cal.open[this.idx(t)] === 1;
  }

  between(a: number, b: number): number {
    if (b < a) return -this.between(b, a);
    let total = 0;
    for (let m = this.idx(a); m <= this.idx(b) && m < this.cal.open.length; m++) {
      if (!this.cal.open[m]) continue;
      const s = max(a, this.minute(m));
      const e = min(b, this.minute(m + 1));
      if (e > s) total += e - s;
    }
    return total;
  }

  add(t: number, s: number): number | undefined {
    if (s === 0) return t;
    const open = this.cal.open;
    if (s > 0) {
      let rem = s;
      let pos = t;
      for (let m = this.idx(t); m < this.hi; m++) {
        const end = this.minute(m + 1);
        if (open[m]) {
          const avail = end - pos;
          if (avail >= rem) return pos + rem;
          rem -= avail;
        }
        pos = end;
      }
      return undefined;
    }
    let rem = -s;
    let pos = t;
    // the minute containing t - 1 ms is the first one before t
    for (let m = this.idx(t - 1); m >= this.lo; m--) {
      const start = this.minute(m);
      if (open[m]) {
        const avail = pos - start;
        // latest instant: B grows right after it (it is inside or at the start of an open minute)
        if (avail >= rem) return pos - rem;
        rem -= avail;
      }
      pos = start;
    }
    return undefined;
  }

  nextOpen(t: number): number | undefined {
    for (let m = this.idx(t); m < this.hi; m++) {
      if (this.cal.open[m]) return max(t, this.minute(m));
    }
    return undefined;
  }

  nextClose(t: number): number | undefined {
    let m = this.idx(t);
    while (m < this.hi && !this.cal.open[m]) m++;
    while (m < this.hi && this.cal.open[m]) m++;
    return m < this.hi ? this.minute(m) : undefined;
  }

  nextBusinessDayStart(t: number): number | undefined {
    const day = floor(wallAt(this.refZone, floor(t / 1000)) / DAY);
    for (const [d, m] of this.cal.days) {
      const at = this.minute(m);
      if (d > day && at > t) return m < this.hi - 3 * 1440 ? at : undefined;
    }
    return undefined;
  }

  /** The contract's goal anchor, literally: the next opening when closed, the next business day's when open. */
  startOfNextBusinessDay(t: number): number | undefined {
    return this.isOpen(t) ? this.nextBusinessDayStart(t) : this.nextOpen(t);
  }
}
