/**
 * Property tests against the brute-force oracle (./oracle.ts), over periods that contain the DST changes of
 * America/New_York, America/Los_Angeles, Europe/Berlin and Australia/Lord_Howe (30-minute DST) in 2025,
 * Asia/Kolkata (+05:30) and Thanksgiving. Query instants are whole minutes, whole seconds or any millisecond:
 * an instant with milliseconds is answered exactly (a deadline counted from …:24.9 is not one from …:24).
 */
import fc from 'fast-check';
import {
  addBusinessMilliseconds,
  addBusinessSeconds,
  BusinessTimeError,
  businessMillisecondsBetween,
  businessSecondsBetween,
  compileCalendar,
  isOpen,
  nextBusinessDayStart,
  nextClose,
  nextOpen,
  startOfNextBusinessDay,
  type CalendarSpec,
  type CompiledCalendar,
} from '../src';
import { calendarSpecArb } from './arbitraries';
import { DAY, OracleQueries, Timeline, oracleCalendar } from './oracle';

const at = (iso: string) => Date.parse(iso) / 1000;

interface Period {
  name: string;
  p0: number;
  p1: number;
  tl?: Timeline;
}

const PERIODS: Period[] = [
  // US spring forward Mar 9, EU Mar 30, Lord Howe falls back (−30 min) Apr 6
  { name: 'spring 2025', p0: at('2025-03-01T00:00:00Z'), p1: at('2025-04-14T00:00:00Z') },
  // Lord Howe springs forward (+30 min) Oct 5, EU Oct 26, US Nov 2, Thanksgiving Nov 27
  { name: 'autumn 2025', p0: at('2025-09-27T00:00:00Z'), p1: at('2025-12-06T00:00:00Z') },
];

function timeline(p: Period): Timeline {
  if (!p.tl) p.tl = new Timeline(p.p0 - 10 * DAY, p.p1 + 10 * DAY);
  return p.tl;
}

const d = (t: number) => new Date(t * 1000);
const ms = (t: number) => new Date(t);

function refZoneOf(cal: CompiledCalendar): string {
  return cal.referenceZone;
}

/** Calls f; returns its value or the BusinessTimeError code it threw. */
function attempt<T>(f: () => T): T | { code: string } {
  try {
    return f();
  } catch (e) {
    if (e instanceof BusinessTimeError) return { code: e.code };
    throw e;
  }
}

const stats = { runs: 0, rejected: 0, compared: 0, skipped: 0, errors: {} as Record<string, number> };
afterAll(() => {
  if (process.env['BT_ORACLE_STATS']) console.log(JSON.stringify(stats));
});

const isErr = (x: unknown): x is { code: string } =>
  typeof x === 'object' && x !== null && 'code' in x && !(x instanceof Date);

/** Queries: [t (epoch ms), amount (whole seconds), t2 (epoch ms), amount (ms)]. */
function check(period: Period, spec: CalendarSpec, queries: Array<[number, number, number, number]>): void {
  const tl = timeline(period);
  // the compiler generates windows for these dates (see compile.ts); the oracle must judge the same ones
  const maxK = 2;
  const days: [number, number] = [Math.floor(tl.t0 / DAY), Math.floor(tl.t1 / DAY) - 1];
  const compileDays: [number, number] = [
    Math.floor(period.p0 / DAY) - maxK - 2,
    Math.floor(period.p1 / DAY) + 2,
  ];
  const oc = oracleCalendar(tl, spec, days);
  const ocCompileRange = oracleCalendar(tl, spec, compileDays);
  const compiled = attempt(() => compileCalendar(spec, { from: d(period.p0), to: d(period.p1) }));
  stats.runs++;
  if (isErr(compiled)) {
    stats.rejected++;
    expect(compiled.code).toBe('CALENDAR.END_BEFORE_START');
    // either the oracle saw a window end before its start, or the spec says end ≤ start in one zone with
    // endDayOffset 0 (rejected statically even when the instants coincide)
    if (ocCompileRange.endBeforeStart === undefined)
      expect(JSON.stringify(spec)).toContain('"endDayOffset":0');
    return;
  }
  expect(ocCompileRange.endBeforeStart).toBeUndefined();
  const cal = compiled;
  const o = new OracleQueries(tl, oc, refZoneOf(cal));
  const expectSame = (
    what: string,
    got: Date | number | boolean | { code: string },
    want: number | boolean | undefined,
  ) => {
    if (isErr(got)) {
      stats.errors[got.code] = (stats.errors[got.code] ?? 0) + 1;
      if (got.code === 'CALENDAR.END_BEFORE_START') {
        expect(oc.endBeforeStart).toBeDefined(); // a lazy extension reached a bad date
        return;
      }
      if (got.code === 'CALENDAR.EMPTY' || got.code === 'CALENDAR.NEVER_CLOSES') {
        expect({ what, want }).toEqual({ what, want: undefined });
        return;
      }
      throw new Error(`${what}: unexpected ${got.code}`);
    }
    if (want === undefined) {
      stats.skipped++;
      return; // beyond what the oracle can see
    }
    stats.compared++;
    const g = got instanceof Date ? got.getTime() : got;
    if (g !== want) {
      const show = (x: unknown) =>
        got instanceof Date && typeof x === 'number' ? ms(x).toISOString() : String(x);
      throw new Error(`${what}: library ${show(g)} ≠ oracle ${show(want)}\nspec ${JSON.stringify(spec)}`);
    }
  };
  for (const [t, s, t2, sMs] of queries) {
    const T = ms(t);
    const label = (q: string) => `${q} @ ${T.toISOString()} (s=${s}, ms=${sMs}, t2=${ms(t2).toISOString()})`;
    expectSame(
      label('isOpen'),
      attempt(() => isOpen(cal, T)),
      o.isOpen(t),
    );
    expectSame(
      label('nextOpen'),
      attempt(() => nextOpen(cal, T)),
      o.nextOpen(t),
    );
    expectSame(
      label('nextClose'),
      attempt(() => nextClose(cal, T)),
      o.nextClose(t),
    );
    const between = o.between(t, t2);
    expectSame(
      label('between (ms)'),
      attempt(() => businessMillisecondsBetween(cal, T, ms(t2))),
      between,
    );
    expectSame(
      label('between'),
      attempt(() => businessSecondsBetween(cal, T, ms(t2))),
      Math.trunc(between / 1000) || 0,
    );
    expectSame(
      label('add'),
      attempt(() => addBusinessSeconds(cal, T, s)),
      o.add(t, s * 1000),
    );
    expectSame(
      label('subtract'),
      attempt(() => addBusinessSeconds(cal, T, -s)),
      o.add(t, -s * 1000),
    );
    expectSame(
      label('add (ms)'),
      attempt(() => addBusinessMilliseconds(cal, T, sMs)),
      o.add(t, sMs),
    );
    expectSame(
      label('subtract (ms)'),
      attempt(() => addBusinessMilliseconds(cal, T, -sMs)),
      o.add(t, -sMs),
    );
    expectSame(
      label('nextBusinessDayStart'),
      attempt(() => nextBusinessDayStart(cal, T)),
      o.nextBusinessDayStart(t),
    );
    expectSame(
      label('startOfNextBusinessDay'),
      attempt(() => startOfNextBusinessDay(cal, T)),
      o.startOfNextBusinessDay(t),
    );
  }
}

describe('compiled calendars agree with the brute-force minute-walking oracle', () => {
  for (const period of PERIODS) {
    it(`random calendars in ${period.name}`, () => {
      const d0 = Math.floor(period.p0 / DAY);
      const d1 = Math.floor(period.p1 / DAY);
      const lo = period.p0 + 2 * DAY;
      const hi = period.p1 - 2 * DAY;
      // epoch ms: whole seconds, whole minutes, or any millisecond
      const instant = fc.oneof(
        fc.integer({ min: lo, max: hi }).map((x) => x * 1000),
        fc.integer({ min: lo / 60, max: hi / 60 }).map((m) => m * 60_000),
        fc.integer({ min: lo * 1000, max: hi * 1000 }),
      );
      const query = fc.tuple(
        instant,
        fc.oneof(fc.integer({ min: 1, max: 4 * 3600 }), fc.integer({ min: 1, max: 3 * DAY })),
        instant,
        fc.oneof(fc.integer({ min: 1, max: 4 * 3600_000 }), fc.integer({ min: 1, max: 2500 })),
      );
      fc.assert(
        fc.property(
          calendarSpecArb(d0, d1),
          fc.array(query, { minLength: 4, maxLength: 8 }),
          (spec, queries) => {
            check(period, spec, queries);
          },
        ),
        { numRuns: 250 },
      );
    });
  }
});
