/**
 * Queries on a CompiledCalendar. All of them are binary searches over the compiled arrays; none touches
 * time-zone data except nextBusinessDayStart (one lookup in the cached offset table of the reference zone).
 *
 * Conventions (second precision): Date inputs are truncated to the whole second (floor); results are whole
 * seconds. addBusinessSeconds(t, s > 0) returns the EARLIEST instant u with businessSecondsBetween(t, u) = s
 * (so a deadline can fall exactly on a closing time, e.g. Friday 18:00, rather than on the next opening);
 * s < 0 returns the LATEST u with businessSecondsBetween(u, t) = -s; s = 0 returns t.
 */
import { DAY } from './civil';
import { BusinessTimeError } from './errors';
import { HORIZON_END, type CompiledCalendar } from './compile';
import { normalise } from './intervals';

const { floor, max, min, abs } = Math; // local aliases: global lookups are slow inside jest's vm sandbox
const DateCtor = Date;
const isInteger = Number.isInteger;
const isArray = Array.isArray;

/** A pause [from, to): business time inside it does not count. */
export type Pause = readonly [Date, Date];

export interface PauseOptions {
  /** Pause intervals to exclude (may overlap each other, be unsorted, or lie outside the span). */
  exclude?: readonly Pause[];
}

function sec(d: Date, what: string): number {
  if (!(d instanceof DateCtor))
    throw new BusinessTimeError('ARGUMENT.INVALID_DATE', `${what} must be a Date`);
  const ms = d.getTime();
  if (ms !== ms) throw new BusinessTimeError('ARGUMENT.INVALID_DATE', `${what} is an invalid Date`);
  return floor(ms / 1000);
}

function checkSeconds(s: number): void {
  if (typeof s !== 'number' || !isInteger(s)) {
    throw new BusinessTimeError(
      'ARGUMENT.INVALID_SECONDS',
      `seconds must be a finite whole number, got ${String(s)}`,
    );
  }
}

function emptyError(cal: CompiledCalendar, direction: 'after' | 'before', t: number): BusinessTimeError {
  return new BusinessTimeError(
    'CALENDAR.EMPTY',
    `calendar${cal.spec.name ? ` "${cal.spec.name}"` : ''} has no business time ${direction} ${new DateCtor(t * 1000).toISOString()}`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Epoch-second core (exported for callers that keep epoch seconds; same semantics as the Date functions).

/** addBusinessSeconds on epoch seconds (integers). */
export function addBusinessSecondsEpoch(cal: CompiledCalendar, t: number, s: number): number {
  if (s === 0) return t;
  if (t < cal.from || t > cal.to) cal.cover(t, t);
  if (s > 0) {
    for (;;) {
      const st = cal.starts;
      const cum = cal.cum;
      const n = cal.n;
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (st[mid]! <= t) lo = mid + 1;
        else hi = mid;
      }
      const i = lo - 1;
      let base = 0;
      if (i >= 0) {
        const e = cal.ends[i]!;
        base = t < e ? cum[i]! + (t - st[i]!) : cum[i + 1]!;
      }
      const target = base + s;
      if (target <= cum[n]!) {
        let j = i < 0 ? 0 : i;
        if (cum[j + 1]! < target) {
          // first m in (j, n] with cum[m] >= target
          lo = j + 1;
          hi = n;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (cum[mid]! < target) lo = mid + 1;
            else hi = mid;
          }
          j = lo - 1;
        }
        return st[j]! + (target - cum[j]!);
      }
      if (cal.tailEmpty()) throw emptyError(cal, 'after', t);
      cal.growForward();
    }
  }
  for (;;) {
    const st = cal.starts;
    const cum = cal.cum;
    const i = cal.indexAtOrBefore(t);
    let base = 0;
    if (i >= 0) {
      const e = cal.ends[i]!;
      base = t < e ? cum[i]! + (t - st[i]!) : cum[i + 1]!;
    }
    const target = base + s;
    if (target >= 0) {
      // first m in [0, i + 1] with cum[m] > target; j = m - 1
      let lo = 0;
      let hi = i + 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cum[mid]! <= target) lo = mid + 1;
        else hi = mid;
      }
      const j = lo - 1;
      return st[j]! + (target - cum[j]!);
    }
    if (cal.headEmpty()) throw emptyError(cal, 'before', t);
    cal.growBackward();
  }
}

/** businessSecondsBetween on epoch seconds. */
export function businessSecondsBetweenEpoch(cal: CompiledCalendar, a: number, b: number): number {
  if (b < a) return 0 - businessSecondsBetweenEpoch(cal, b, a) || 0;
  if (a < cal.from || b > cal.to) cal.cover(a, b);
  return cal.businessBefore(b) - cal.businessBefore(a);
}

function pausesOf(exclude: readonly Pause[]): number[] {
  const flat: number[] = [];
  exclude.forEach((p, i) => {
    if (!isArray(p) || p.length !== 2) {
      throw new BusinessTimeError(
        'ARGUMENT.INVALID_PAUSE',
        `exclude[${i}] must be a [from, to] pair of Dates`,
      );
    }
    const s = sec(p[0], `exclude[${i}][0]`);
    const e = sec(p[1], `exclude[${i}][1]`);
    if (e < s) throw new BusinessTimeError('ARGUMENT.INVALID_PAUSE', `exclude[${i}] ends before it starts`);
    flat.push(s, e);
  });
  return normalise(flat);
}

function betweenWithPauses(cal: CompiledCalendar, a: number, b: number, p: number[]): number {
  let total = businessSecondsBetweenEpoch(cal, a, b);
  for (let k = 0; k < p.length; k += 2) {
    const s = max(p[k]!, a);
    const e = min(p[k + 1]!, b);
    if (s < e) total -= businessSecondsBetweenEpoch(cal, s, e);
  }
  return total;
}

function addWithPauses(cal: CompiledCalendar, t: number, s: number, p: number[]): number {
  if (s === 0) return t;
  let pos = t;
  let rem = abs(s);
  if (s > 0) {
    for (let k = 0; k < p.length; k += 2) {
      const ps = p[k]!;
      const pe = p[k + 1]!;
      if (pe <= pos) continue;
      if (ps > pos) {
        const avail = businessSecondsBetweenEpoch(cal, pos, ps);
        if (avail >= rem) return addBusinessSecondsEpoch(cal, pos, rem);
        rem -= avail;
      }
      pos = pe;
    }
    return addBusinessSecondsEpoch(cal, pos, rem);
  }
  for (let k = p.length - 2; k >= 0; k -= 2) {
    const ps = p[k]!;
    const pe = p[k + 1]!;
    if (ps >= pos) continue;
    if (pe < pos) {
      const avail = businessSecondsBetweenEpoch(cal, pe, pos);
      if (avail >= rem) return addBusinessSecondsEpoch(cal, pos, -rem);
      rem -= avail;
    }
    pos = ps;
  }
  return addBusinessSecondsEpoch(cal, pos, -rem);
}

// ---------------------------------------------------------------------------------------------------------
// Public Date API

/**
 * The instant `seconds` business seconds after `start` (before it when negative). With `exclude`, time in
 * the pauses does not count (a ticket's "waiting for customer" periods).
 */
export function addBusinessSeconds(
  cal: CompiledCalendar,
  start: Date,
  seconds: number,
  options?: PauseOptions,
): Date {
  const t = sec(start, 'start');
  checkSeconds(seconds);
  if (options?.exclude && options.exclude.length > 0) {
    return new DateCtor(addWithPauses(cal, t, seconds, pausesOf(options.exclude)) * 1000);
  }
  return new DateCtor(addBusinessSecondsEpoch(cal, t, seconds) * 1000);
}

/** Business seconds in [a, b) (negative when b < a), minus those inside `exclude` pauses. */
export function businessSecondsBetween(
  cal: CompiledCalendar,
  a: Date,
  b: Date,
  options?: PauseOptions,
): number {
  const ta = sec(a, 'a');
  const tb = sec(b, 'b');
  if (options?.exclude && options.exclude.length > 0) {
    const p = pausesOf(options.exclude);
    return tb < ta ? 0 - betweenWithPauses(cal, tb, ta, p) || 0 : betweenWithPauses(cal, ta, tb, p);
  }
  return businessSecondsBetweenEpoch(cal, ta, tb);
}

/** Whether t is inside business time (windows are half-open: open at the start, closed at the end). */
export function isOpen(cal: CompiledCalendar, t: Date): boolean {
  const u = sec(t, 't');
  if (u < cal.from || u >= cal.to) cal.cover(u, u + 1);
  const i = cal.indexAtOrBefore(u);
  return i >= 0 && u < cal.ends[i]!;
}

/** t itself when open, else the next instant business time starts. Throws CALENDAR.EMPTY if never. */
export function nextOpen(cal: CompiledCalendar, t: Date): Date {
  const u = sec(t, 't');
  if (u < cal.from || u >= cal.to) cal.cover(u, u + 1);
  for (;;) {
    const i = cal.indexAtOrBefore(u);
    if (i >= 0 && u < cal.ends[i]!) return new DateCtor(u * 1000);
    if (i + 1 < cal.n) return new DateCtor(cal.starts[i + 1]! * 1000);
    if (cal.tailEmpty()) throw emptyError(cal, 'after', u);
    cal.growForward();
  }
}

/**
 * When open: the end of the current stretch of business time (windows that touch or overlap are one
 * stretch). When closed: the end of the next stretch. Throws CALENDAR.NEVER_CLOSES (e.g. 24×7) or
 * CALENDAR.EMPTY.
 */
export function nextClose(cal: CompiledCalendar, t: Date): Date {
  const u = sec(t, 't');
  if (u < cal.from || u >= cal.to) cal.cover(u, u + 1);
  for (;;) {
    const i = cal.indexAtOrBefore(u);
    const k = i >= 0 && u < cal.ends[i]! ? i : i + 1;
    if (k < cal.n) {
      const e = cal.ends[k]!;
      if (e < cal.to) return new DateCtor(e * 1000);
      if (cal.tailAlwaysOpen()) {
        throw new BusinessTimeError(
          'CALENDAR.NEVER_CLOSES',
          `calendar is open without end after ${new DateCtor(u * 1000).toISOString()}`,
        );
      }
    } else if (cal.tailEmpty()) {
      throw emptyError(cal, 'after', u);
    }
    cal.growForward();
  }
}

/**
 * The start of business on the first business day after t's day: the first open instant of the earliest
 * window whose date (in its start zone) is later than t's date in the calendar's reference zone
 * (`spec.zone`, else the first window's start zone). A day whose windows are all on holiday is skipped;
 * a window partly on holiday starts when its open part starts.
 */
export function nextBusinessDayStart(cal: CompiledCalendar, t: Date): Date {
  const u = sec(t, 't');
  if (u < cal.from || u >= cal.to) cal.cover(u, u + 1);
  const day = floor(cal.refTable.utcToLocal(u) / DAY);
  for (;;) {
    const keys = cal.dayKeys;
    const at = cal.dayStarts;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! <= day) lo = mid + 1;
      else hi = mid;
    }
    while (lo < keys.length && at[lo]! <= u) lo++;
    if (lo < keys.length) {
      // near the end of the range a window of that day could still be cut off: compile further first
      if (at[lo]! + 9 * DAY < cal.to || !cal.lazy || cal.to >= HORIZON_END)
        return new DateCtor(at[lo]! * 1000);
    } else if (cal.tailEmpty()) {
      throw emptyError(cal, 'after', u);
    }
    cal.growForward();
  }
}

/** The open intervals overlapping [a, b), clipped to it (for display and debugging). */
export function openIntervals(cal: CompiledCalendar, a: Date, b: Date): Array<[Date, Date]> {
  const ta = sec(a, 'a');
  const tb = sec(b, 'b');
  if (tb <= ta) return [];
  if (ta < cal.from || tb > cal.to) cal.cover(ta, tb);
  const out: Array<[Date, Date]> = [];
  for (let i = max(0, cal.indexAtOrBefore(ta)); i < cal.n && cal.starts[i]! < tb; i++) {
    const s = max(cal.starts[i]!, ta);
    const e = min(cal.ends[i]!, tb);
    if (s < e) out.push([new DateCtor(s * 1000), new DateCtor(e * 1000)]);
  }
  return out;
}
