/**
 * Queries on a CompiledCalendar. All of them are binary searches over the compiled arrays; none touches
 * time-zone data except nextBusinessDayStart (one lookup in the cached offset table of the reference zone).
 *
 * Precision: the Date functions keep the milliseconds of their inputs. Compiled boundaries are whole seconds,
 * so a second of the time line is wholly open or wholly closed; the same binary searches run in epoch
 * milliseconds by scaling the boundaries (exact integer arithmetic, no rounding).
 * addBusinessSeconds(t, s > 0) returns the EARLIEST instant u with exactly s × 1000 business milliseconds in
 * [t, u) (so a deadline can fall exactly on a closing time, e.g. Friday 18:00, rather than on the next
 * opening); s < 0 returns the LATEST such u before t; s = 0 returns t. businessSecondsBetween truncates the
 * exact business time toward zero; businessMillisecondsBetween returns it exactly.
 */
import { DAY } from './civil';
import { BusinessTimeError } from './errors';
import { HORIZON_END, type CompiledCalendar } from './compile';
import { normalise } from './intervals';

const { floor, ceil, max, min, abs, trunc } = Math; // local aliases: global lookups are slow inside jest's vm sandbox
const DateCtor = Date;
const isInteger = Number.isInteger;
const isArray = Array.isArray;

/** A pause [from, to): business time inside it does not count. */
export type Pause = readonly [Date, Date];

export interface PauseOptions {
  /** Pause intervals to exclude (may overlap each other, be unsorted, or lie outside the span). */
  exclude?: readonly Pause[];
}

function msOf(d: Date, what: string): number {
  if (!(d instanceof DateCtor))
    throw new BusinessTimeError('ARGUMENT.INVALID_DATE', `${what} must be a Date`);
  const ms = d.getTime();
  if (ms !== ms) throw new BusinessTimeError('ARGUMENT.INVALID_DATE', `${what} is an invalid Date`);
  return ms;
}

function checkWhole(s: number, what: string): void {
  if (typeof s !== 'number' || !isInteger(s)) {
    throw new BusinessTimeError(
      'ARGUMENT.INVALID_SECONDS',
      `${what} must be a finite whole number, got ${String(s)}`,
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
// Core: instants and amounts in a unit of u per second (1: epoch seconds, 1000: epoch milliseconds), over
// boundaries in whole seconds. Every product and sum stays an exact integer below 2^53.

function addIn(cal: CompiledCalendar, t: number, s: number, u: number): number {
  if (s === 0) return t;
  if (t < cal.from * u || t > cal.to * u) cal.cover(floor(t / u), ceil(t / u));
  // The searches compare whole-second arrays with T = ⌊t/u⌋ and target/u: for integers k, k ≤ t/u ⇔ k ≤ T,
  // and k < target/u ⇔ k·u < target (a quotient's rounding error, < 1e-5, cannot cross a multiple of 1/u).
  const T = floor(t / u);
  if (s > 0) {
    for (;;) {
      const st = cal.starts;
      const cum = cal.cum;
      const n = cal.n;
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (st[mid]! <= T) lo = mid + 1;
        else hi = mid;
      }
      const i = lo - 1;
      let base = 0;
      if (i >= 0) {
        const e = cal.ends[i]! * u;
        base = t < e ? cum[i]! * u + (t - st[i]! * u) : cum[i + 1]! * u;
      }
      const target = base + s;
      const q = target / u;
      if (q <= cum[n]!) {
        let j = i < 0 ? 0 : i;
        if (cum[j + 1]! < q) {
          // first m in (j, n] with cum[m] >= target
          lo = j + 1;
          hi = n;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (cum[mid]! < q) lo = mid + 1;
            else hi = mid;
          }
          j = lo - 1;
        }
        return st[j]! * u + (target - cum[j]! * u);
      }
      if (cal.tailEmpty()) throw emptyError(cal, 'after', T);
      cal.growForward();
    }
  }
  for (;;) {
    const st = cal.starts;
    const cum = cal.cum;
    const i = cal.indexAtOrBefore(T);
    let base = 0;
    if (i >= 0) {
      const e = cal.ends[i]! * u;
      base = t < e ? cum[i]! * u + (t - st[i]! * u) : cum[i + 1]! * u;
    }
    const target = base + s;
    if (target >= 0) {
      // first m in [0, i + 1] with cum[m] > target; j = m - 1
      const q = target / u;
      let lo = 0;
      let hi = i + 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cum[mid]! <= q) lo = mid + 1;
        else hi = mid;
      }
      const j = lo - 1;
      return st[j]! * u + (target - cum[j]! * u);
    }
    if (cal.headEmpty()) throw emptyError(cal, 'before', T);
    cal.growBackward();
  }
}

/** Business time in [from, t] in units of u per second; t within the compiled range. */
function businessBeforeIn(cal: CompiledCalendar, t: number, u: number): number {
  const i = cal.indexAtOrBefore(floor(t / u));
  if (i < 0) return 0;
  return t < cal.ends[i]! * u ? cal.cum[i]! * u + (t - cal.starts[i]! * u) : cal.cum[i + 1]! * u;
}

/** Business time in [a, b), a ≤ b, in units of u per second. */
function betweenIn(cal: CompiledCalendar, a: number, b: number, u: number): number {
  if (a < cal.from * u || b > cal.to * u) cal.cover(floor(a / u), ceil(b / u));
  return businessBeforeIn(cal, b, u) - businessBeforeIn(cal, a, u);
}

/** addBusinessSeconds on epoch seconds (integers). */
export function addBusinessSecondsEpoch(cal: CompiledCalendar, t: number, s: number): number {
  return addIn(cal, t, s, 1);
}

/** businessSecondsBetween on epoch seconds. */
export function businessSecondsBetweenEpoch(cal: CompiledCalendar, a: number, b: number): number {
  return b < a ? 0 - betweenIn(cal, b, a, 1) || 0 : betweenIn(cal, a, b, 1);
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
    const s = msOf(p[0], `exclude[${i}][0]`);
    const e = msOf(p[1], `exclude[${i}][1]`);
    if (e < s) throw new BusinessTimeError('ARGUMENT.INVALID_PAUSE', `exclude[${i}] ends before it starts`);
    flat.push(s, e);
  });
  return normalise(flat);
}

/** Whether the whole second that starts at epoch second x is business time. */
function openSecond(cal: CompiledCalendar, x: number): boolean {
  if (x < cal.from || x >= cal.to) cal.cover(x, x + 1);
  const i = cal.indexAtOrBefore(x);
  return i >= 0 && x < cal.ends[i]!;
}

const betweenMs = (cal: CompiledCalendar, a: number, b: number) => betweenIn(cal, a, b, 1000);
const addMs = (cal: CompiledCalendar, t: number, amount: number) => addIn(cal, t, amount, 1000);

function betweenWithPauses(cal: CompiledCalendar, a: number, b: number, p: number[]): number {
  let total = betweenMs(cal, a, b);
  for (let k = 0; k < p.length; k += 2) {
    const s = max(p[k]!, a);
    const e = min(p[k + 1]!, b);
    if (s < e) total -= betweenMs(cal, s, e);
  }
  return total;
}

function addWithPauses(cal: CompiledCalendar, t: number, amount: number, p: number[]): number {
  if (amount === 0) return t;
  let pos = t;
  let rem = abs(amount);
  if (amount > 0) {
    for (let k = 0; k < p.length; k += 2) {
      const ps = p[k]!;
      const pe = p[k + 1]!;
      if (pe <= pos) continue;
      if (ps > pos) {
        const avail = betweenMs(cal, pos, ps);
        if (avail >= rem) return addMs(cal, pos, rem);
        rem -= avail;
      }
      pos = pe;
    }
    return addMs(cal, pos, rem);
  }
  for (let k = p.length - 2; k >= 0; k -= 2) {
    const ps = p[k]!;
    const pe = p[k + 1]!;
    if (ps >= pos) continue;
    if (pe < pos) {
      const avail = betweenMs(cal, pe, pos);
      if (avail >= rem) return addMs(cal, pos, -rem);
      rem -= avail;
    }
    pos = ps;
  }
  return addMs(cal, pos, -rem);
}

function addMsWith(
  cal: CompiledCalendar,
  t: number,
  amount: number,
  options: PauseOptions | undefined,
): Date {
  if (options?.exclude && options.exclude.length > 0) {
    return new DateCtor(addWithPauses(cal, t, amount, pausesOf(options.exclude)));
  }
  return new DateCtor(addMs(cal, t, amount));
}

function betweenMsWith(cal: CompiledCalendar, a: Date, b: Date, options: PauseOptions | undefined): number {
  const ta = msOf(a, 'a');
  const tb = msOf(b, 'b');
  if (options?.exclude && options.exclude.length > 0) {
    const p = pausesOf(options.exclude);
    return tb < ta ? 0 - betweenWithPauses(cal, tb, ta, p) || 0 : betweenWithPauses(cal, ta, tb, p);
  }
  return tb < ta ? 0 - betweenMs(cal, tb, ta) || 0 : betweenMs(cal, ta, tb);
}

// ---------------------------------------------------------------------------------------------------------
// Public Date API

/**
 * The instant `seconds` business seconds after `start` (before it when negative), to the millisecond of
 * `start`. With `exclude`, time in the pauses does not count (a ticket's "waiting for customer" periods).
 */
export function addBusinessSeconds(
  cal: CompiledCalendar,
  start: Date,
  seconds: number,
  options?: PauseOptions,
): Date {
  const t = msOf(start, 'start');
  checkWhole(seconds, 'seconds');
  return addMsWith(cal, t, seconds * 1000, options);
}

/** addBusinessSeconds with an amount in whole milliseconds. */
export function addBusinessMilliseconds(
  cal: CompiledCalendar,
  start: Date,
  milliseconds: number,
  options?: PauseOptions,
): Date {
  const t = msOf(start, 'start');
  checkWhole(milliseconds, 'milliseconds');
  return addMsWith(cal, t, milliseconds, options);
}

/**
 * Business seconds in [a, b) (negative when b < a), minus those inside `exclude` pauses; the exact business
 * time truncated toward zero to a whole second.
 */
export function businessSecondsBetween(
  cal: CompiledCalendar,
  a: Date,
  b: Date,
  options?: PauseOptions,
): number {
  return trunc(betweenMsWith(cal, a, b, options) / 1000) || 0;
}

/** Business milliseconds in [a, b) (negative when b < a), minus those inside `exclude` pauses. Exact. */
export function businessMillisecondsBetween(
  cal: CompiledCalendar,
  a: Date,
  b: Date,
  options?: PauseOptions,
): number {
  return betweenMsWith(cal, a, b, options);
}

/** Whether t is inside business time (windows are half-open: open at the start, closed at the end). */
export function isOpen(cal: CompiledCalendar, t: Date): boolean {
  return openSecond(cal, floor(msOf(t, 't') / 1000));
}

/** t itself when open, else the next instant business time starts. Throws CALENDAR.EMPTY if never. */
export function nextOpen(cal: CompiledCalendar, t: Date): Date {
  const ms = msOf(t, 't');
  const u = floor(ms / 1000);
  if (u < cal.from || u >= cal.to) cal.cover(u, u + 1);
  for (;;) {
    const i = cal.indexAtOrBefore(u);
    if (i >= 0 && u < cal.ends[i]!) return new DateCtor(ms);
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
  const u = floor(msOf(t, 't') / 1000);
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
  // boundaries are whole seconds: "after t" and "after t's second" are the same test
  const u = floor(msOf(t, 't') / 1000);
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

/**
 * "The start of the next business day" as a goal anchor: the next opening when t is outside business time
 * (nextOpen: every instant of one closed period gets the same answer), the next business day's opening when
 * t is inside it (nextBusinessDayStart). Default contract: Mon 07:00 and Sun 23:00 America/New_York →
 * Mon 08:00; Mon 10:00 → Tue 08:00.
 */
export function startOfNextBusinessDay(cal: CompiledCalendar, t: Date): Date {
  return isOpen(cal, t) ? nextBusinessDayStart(cal, t) : nextOpen(cal, t);
}

/** The open intervals overlapping [a, b), clipped to it (for display and debugging). */
export function openIntervals(cal: CompiledCalendar, a: Date, b: Date): Array<[Date, Date]> {
  const ma = msOf(a, 'a');
  const mb = msOf(b, 'b');
  if (mb <= ma) return [];
  const ta = floor(ma / 1000);
  const tb = ceil(mb / 1000);
  if (ta < cal.from || tb > cal.to) cal.cover(ta, tb);
  const out: Array<[Date, Date]> = [];
  for (let i = max(0, cal.indexAtOrBefore(ta)); i < cal.n && cal.starts[i]! * 1000 < mb; i++) {
    const s = max(cal.starts[i]! * 1000, ma);
    const e = min(cal.ends[i]! * 1000, mb);
    if (s < e) out.push([new DateCtor(s), new DateCtor(e)]);
  }
  return out;
}
