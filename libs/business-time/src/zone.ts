/**
 * Time-zone offset tables built once per zone from Intl.DateTimeFormat and cached for the process.
 * After a table covers a range, every conversion is arithmetic plus a binary search: no Intl calls.
 *
 * Local wall time → UTC rule ("first instant the wall clock shows ≥ L"):
 *  - normal time: the unique instant;
 *  - DST overlap (fall back, e.g. 01:30 happens twice): the earlier instant;
 *  - DST gap (spring forward, e.g. 02:30 does not exist): the transition instant itself
 *    (America/New_York 2025-03-09 02:30 → 03:00 EDT = 07:00Z). This mapping is monotonic, so a window
 *    whose wall-clock end is after its start never ends before it starts in the same zone.
 */
import { BusinessTimeError } from './errors';
import { DAY, daysFromCivil } from './civil';

const { floor, max, min } = Math; // local aliases: global lookups are slow inside jest's vm sandbox
const DateCtor = Date;

/** Sampling step when scanning for offset transitions; transitions closer than this that return to the
 * same offset would be missed (no such pair exists in the tz database for the supported years). */
const SAMPLE_STEP = 7 * DAY;
const PAD = 2 * DAY;
const GRID = 900;

function yearStart(y: number): number {
  return daysFromCivil(y, 1, 1) * DAY;
}

function yearOf(u: number): number {
  return new DateCtor(u * 1000).getUTCFullYear();
}

export class ZoneTable {
  readonly zone: string;
  private readonly dtf: Intl.DateTimeFormat;
  /** Covered UTC range (seconds), inclusive. */
  private lo = 0;
  private hi = -1;
  private transList: number[] = [];
  private offList: number[] = [];
  /** trans[k] = UTC second where offset offs[k+1] starts; offs has one more entry than trans. */
  private trans = new Float64Array(0);
  private offs = new Float64Array(1);
  /** localEnds[k] = first local (wall-as-UTC) second no longer shown in period k. */
  private localEnds = new Float64Array(0);
  private monotonic = true;
  /** Number of Intl calls made (diagnostics / benchmark). */
  intlCalls = 0;

  constructor(zone: string, dtf: Intl.DateTimeFormat) {
    this.zone = zone;
    this.dtf = dtf;
  }

  /** Offset (seconds east of UTC) from Intl at UTC second u. */
  private intlOffset(u: number): number {
    this.intlCalls++;
    const p = this.dtf.format(u * 1000).split(/\D+/);
    // en-US numeric: M/D/YYYY, HH:MM:SS
    const wall = DateCtor.UTC(+p[2]!, +p[0]! - 1, +p[1]!, +p[3]!, +p[4]!, +p[5]!) / 1000;
    return wall - u;
  }

  private scan(a: number, oa: number, b: number, outT: number[], outO: number[]): number {
    let prevT = a;
    let prevO = oa;
    while (prevT < b) {
      const t = min(prevT + SAMPLE_STEP, b);
      const o = this.intlOffset(t);
      if (o !== prevO) this.bisect(prevT, prevO, t, o, outT, outO);
      prevT = t;
      prevO = o;
    }
    return prevO;
  }

  /**
   * Finds the transitions in (t0, t1]. Searches on a 15-minute grid first (where real transitions are), then
   * checks the second before the grid point; off-grid transitions (old local mean times) fall back to seconds.
   */
  private bisect(
    t0: number,
    o0: number,
    t1: number,
    o1: number,
    outT: number[],
    outO: number[],
    grid = GRID,
  ): void {
    if (t1 - t0 <= grid) {
      if (grid === 1) {
        outT.push(t1);
        outO.push(o1);
        return;
      }
      if (this.intlOffset(t1 - 1) === o0) {
        outT.push(t1);
        outO.push(o1);
        return;
      }
      this.bisect(t0, o0, t1, o1, outT, outO, 1);
      return;
    }
    let mid = t0 + grid * floor((t1 - t0) / (2 * grid));
    if (mid <= t0 || mid >= t1) mid = floor((t0 + t1) / 2);
    const om = this.intlOffset(mid);
    if (om !== o0) this.bisect(t0, o0, mid, om, outT, outO, grid);
    if (om !== o1) this.bisect(mid, om, t1, o1, outT, outO, grid);
  }

  /** Makes the table cover UTC seconds [a, b] (extends by whole years). */
  ensure(a: number, b: number): void {
    if (a >= this.lo && b <= this.hi) return;
    if (this.hi < this.lo) {
      const lo = yearStart(yearOf(a - PAD));
      const hi = yearStart(yearOf(b + PAD) + 1);
      const o0 = this.intlOffset(lo);
      const t: number[] = [];
      const o: number[] = [];
      this.scan(lo, o0, hi, t, o);
      this.lo = lo;
      this.hi = hi;
      this.transList = t;
      this.offList = [o0, ...o];
    } else {
      if (b > this.hi) {
        const hi = yearStart(yearOf(b + PAD) + 1);
        const t: number[] = [];
        const o: number[] = [];
        this.scan(this.hi, this.offList[this.offList.length - 1]!, hi, t, o);
        this.transList.push(...t);
        this.offList.push(...o);
        this.hi = hi;
      }
      if (a < this.lo) {
        const lo = yearStart(yearOf(a - PAD));
        const o0 = this.intlOffset(lo);
        const t: number[] = [];
        const o: number[] = [];
        this.scan(lo, o0, this.lo, t, o);
        // o ends with the offset at the old lo, which is offList[0] (when there is no transition, o0 is it)
        const older = this.offList;
        this.transList = [...t, ...this.transList];
        this.offList = o.length === 0 ? [o0, ...older.slice(1)] : [o0, ...o.slice(0, o.length - 1), ...older];
        this.lo = lo;
      }
    }
    this.trans = Float64Array.from(this.transList);
    this.offs = Float64Array.from(this.offList);
    const m = this.trans.length;
    this.localEnds = new Float64Array(m);
    this.monotonic = true;
    for (let k = 0; k < m; k++) {
      this.localEnds[k] = this.trans[k]! + this.offs[k]!;
      if (k > 0 && this.localEnds[k]! <= this.localEnds[k - 1]!) this.monotonic = false;
    }
  }

  /** Offset (seconds) at UTC second u. The table must cover u. */
  offsetAt(u: number): number {
    if (u < this.lo || u > this.hi) this.ensure(u, u);
    const tr = this.trans;
    let lo = 0;
    let hi = tr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tr[mid]! <= u) lo = mid + 1;
      else hi = mid;
    }
    return this.offs[lo]!;
  }

  /** Wall clock (seconds since 1970-01-01T00:00 local, as if UTC) at UTC second u. */
  utcToLocal(u: number): number {
    return u + this.offsetAt(u);
  }

  /** First UTC second whose wall clock shows a time ≥ local L (see the module comment). */
  localToUtc(L: number): number {
    if (L - PAD < this.lo || L + PAD > this.hi) this.ensure(L - PAD, L + PAD);
    const le = this.localEnds;
    const m = le.length;
    let k: number;
    if (this.monotonic) {
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (le[mid]! <= L) lo = mid + 1;
        else hi = mid;
      }
      k = lo;
    } else {
      k = 0;
      while (k < m && le[k]! <= L) k++;
    }
    const u = L - this.offs[k]!;
    return k === 0 ? u : max(this.trans[k - 1]!, u);
  }

  /** Transitions (UTC seconds) with the offsets after them, within the covered range. For tests/diagnostics. */
  transitions(): Array<{ at: number; offset: number }> {
    return this.transList.map((at, i) => ({ at, offset: this.offList[i + 1]! }));
  }
}

const tables = new Map<string, ZoneTable>();
const invalid = new Set<string>();

function makeDtf(zone: string): Intl.DateTimeFormat | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
}

/** True when `zone` is an IANA zone name (or alias) known to this runtime's Intl. */
export function isValidZone(zone: unknown): boolean {
  if (typeof zone !== 'string' || zone.length === 0) return false;
  if (tables.has(zone)) return true;
  if (invalid.has(zone)) return false;
  const dtf = makeDtf(zone);
  if (!dtf) {
    invalid.add(zone);
    return false;
  }
  tables.set(zone, new ZoneTable(zone, dtf));
  return true;
}

/** The cached table for a zone; throws CALENDAR.UNKNOWN_ZONE. */
export function zoneTable(zone: string): ZoneTable {
  const t = tables.get(zone);
  if (t) return t;
  if (!isValidZone(zone)) {
    throw new BusinessTimeError(
      'CALENDAR.UNKNOWN_ZONE',
      `unknown time zone ${JSON.stringify(zone)} (expected an IANA name such as "America/New_York")`,
    );
  }
  return tables.get(zone)!;
}

/** Drops all cached zone tables (benchmarks measure cold compiles with it). */
export function clearZoneCache(): void {
  tables.clear();
  invalid.clear();
}
