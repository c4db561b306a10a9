/** Algebraic invariants on random calendars over several years (lazy range extension included). */
import fc from 'fast-check';
import {
  addBusinessMilliseconds,
  addBusinessSeconds,
  BusinessTimeError,
  businessMillisecondsBetween,
  businessSecondsBetween,
  compileCalendar,
  defaultContractCalendarSpec,
  isOpen,
  nextBusinessDayStart,
  nextClose,
  nextOpen,
  startOfNextBusinessDay,
  type CalendarSpec,
  type CompiledCalendar,
} from '../src';
import { calendarSpecArb } from './arbitraries';

const DAY = 86400;
const T0 = Date.parse('2024-01-01T00:00:00Z') / 1000;
const T1 = Date.parse('2028-01-01T00:00:00Z') / 1000;
const d = (t: number) => new Date(t * 1000);
const s = (x: Date) => x.getTime() / 1000;

/**
 * Runs f; a calendar that cannot answer (bad cross-zone date, no business time, never closes, or so
 * little business time — e.g. an intersection of windows that only touch — that the amount reaches past
 * the year-2300 horizon) skips the case.
 */
function tolerant(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (
      e instanceof BusinessTimeError &&
      [
        'CALENDAR.END_BEFORE_START',
        'CALENDAR.EMPTY',
        'CALENDAR.NEVER_CLOSES',
        'CALENDAR.OUT_OF_RANGE',
      ].includes(e.code)
    ) {
      return;
    }
    throw e;
  }
}

const instant = fc.oneof(
  fc.integer({ min: T0 + 30 * DAY, max: T1 - 200 * DAY }),
  fc.integer({ min: (T0 + 30 * DAY) / 60, max: (T1 - 200 * DAY) / 60 }).map((m) => m * 60),
);
/** Epoch milliseconds, most of them not on a whole second. */
const instantMs = fc.integer({ min: (T0 + 30 * DAY) * 1000, max: (T1 - 200 * DAY) * 1000 });
const amount = fc.oneof(fc.integer({ min: 1, max: 8 * 3600 }), fc.integer({ min: 1, max: 60 * DAY }));

const specs = calendarSpecArb(Math.floor(T0 / DAY), Math.floor(T1 / DAY));
const smallRange = {
  from: d(Date.parse('2025-01-01T00:00:00Z') / 1000),
  to: d(Date.parse('2025-03-01T00:00:00Z') / 1000),
};

function compileOrSkip(spec: CalendarSpec): CompiledCalendar | undefined {
  try {
    return compileCalendar(spec, smallRange);
  } catch (e) {
    if (e instanceof BusinessTimeError && e.code === 'CALENDAR.END_BEFORE_START') return undefined;
    throw e;
  }
}

describe('invariants on random calendars', () => {
  it('between(t, add(t, s)) = s, add(t, −s) inverts, add is monotonic in t and s', () => {
    fc.assert(
      fc.property(specs, instant, instant, amount, amount, (spec, t1, t2, a, b) => {
        const cal = compileOrSkip(spec);
        if (!cal) return;
        tolerant(() => {
          const [lo, hi] = t1 <= t2 ? [t1, t2] : [t2, t1];
          const [sa, sb] = a <= b ? [a, b] : [b, a];
          const r = addBusinessSeconds(cal, d(lo), sa);
          expect(s(r)).toBeGreaterThanOrEqual(lo);
          expect(businessSecondsBetween(cal, d(lo), r)).toBe(sa);
          expect(s(addBusinessSeconds(cal, d(lo), sb))).toBeGreaterThanOrEqual(s(r));
          expect(s(addBusinessSeconds(cal, d(hi), sa))).toBeGreaterThanOrEqual(s(r));
          const back = addBusinessSeconds(cal, d(hi), -sa);
          expect(s(back)).toBeLessThanOrEqual(hi);
          expect(businessSecondsBetween(cal, back, d(hi))).toBe(sa);
          // add(a, between(a, b)) = b when the second before b is business time; when b opens a window after
          // closed time, add returns the earliest instant with that total (the previous close, or a itself)
          if (isOpen(cal, d(hi)) && isOpen(cal, d(hi - 1)))
            expect(s(addBusinessSeconds(cal, d(lo), businessSecondsBetween(cal, d(lo), d(hi))))).toBe(hi);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('between is antisymmetric and additive', () => {
    fc.assert(
      fc.property(specs, instant, instant, instant, (spec, a, b, c) => {
        const cal = compileOrSkip(spec);
        if (!cal) return;
        tolerant(() => {
          const ab = businessSecondsBetween(cal, d(a), d(b));
          expect(businessSecondsBetween(cal, d(b), d(a)) + ab).toBe(0);
          expect(Object.is(businessSecondsBetween(cal, d(b), d(a)), -0)).toBe(false);
          expect(ab + businessSecondsBetween(cal, d(b), d(c))).toBe(businessSecondsBetween(cal, d(a), d(c)));
          expect(Math.abs(ab)).toBeLessThanOrEqual(Math.abs(b - a));
        });
      }),
      { numRuns: 250 },
    );
  });

  it('nextOpen / nextClose / isOpen are consistent', () => {
    fc.assert(
      fc.property(specs, instant, (spec, t) => {
        const cal = compileOrSkip(spec);
        if (!cal) return;
        tolerant(() => {
          const o = nextOpen(cal, d(t));
          expect(s(o)).toBeGreaterThanOrEqual(t);
          expect(isOpen(cal, o)).toBe(true);
          expect(businessSecondsBetween(cal, d(t), o)).toBe(0);
          expect(isOpen(cal, d(t))).toBe(s(o) === t);
          const c = nextClose(cal, d(t));
          expect(s(c)).toBeGreaterThan(s(o));
          expect(isOpen(cal, c)).toBe(false);
          expect(businessSecondsBetween(cal, o, c)).toBe(s(c) - s(o));
        });
      }),
      { numRuns: 250 },
    );
  });

  it('a pause removes exactly its business time, and a pause inside open time adds exactly its length', () => {
    fc.assert(
      fc.property(
        specs,
        instant,
        amount,
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 4 * 3600 }),
        instant,
        fc.integer({ min: 0, max: 30 * DAY }),
        (spec, t, amt, frac, len, p0, plen) => {
          const cal = compileOrSkip(spec);
          if (!cal) return;
          tolerant(() => {
            // arbitrary pause: between loses exactly the business time inside it
            const b = s(addBusinessSeconds(cal, d(t), amt)) + 1;
            const pause: [Date, Date] = [d(p0), d(p0 + plen)];
            const lo = Math.max(t, p0);
            const hi = Math.min(b, p0 + plen);
            const inside = lo < hi ? businessSecondsBetween(cal, d(lo), d(hi)) : 0;
            expect(businessSecondsBetween(cal, d(t), d(b), { exclude: [pause] })).toBe(
              businessSecondsBetween(cal, d(t), d(b)) - inside,
            );
            expect(businessSecondsBetween(cal, d(b), d(t), { exclude: [pause] })).toBe(
              inside - businessSecondsBetween(cal, d(t), d(b)),
            );
            const r = addBusinessSeconds(cal, d(t), amt, { exclude: [pause] });
            expect(businessSecondsBetween(cal, d(t), r, { exclude: [pause] })).toBe(amt);
            expect(s(r)).toBeGreaterThanOrEqual(s(addBusinessSeconds(cal, d(t), amt)));
            const back = addBusinessSeconds(cal, r, -amt, { exclude: [pause] });
            expect(businessSecondsBetween(cal, back, r, { exclude: [pause] })).toBe(amt);

            // a pause lying inside one stretch of open time, after t and before the due time
            if (amt < 2) return;
            const x = addBusinessSeconds(cal, d(t), 1 + Math.floor(((amt - 1) * frac) / 101));
            if (!isOpen(cal, x)) return;
            const room = s(nextClose(cal, x)) - s(x);
            const l = Math.min(len, room);
            const inner: [Date, Date] = [x, d(s(x) + l)];
            expect(s(addBusinessSeconds(cal, d(t), amt, { exclude: [inner] }))).toBe(
              s(addBusinessSeconds(cal, d(t), amt + l)),
            );
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a deadline is never early: from an instant with milliseconds, exactly s × 1000 business ms later', () => {
    fc.assert(
      fc.property(
        specs,
        instantMs,
        amount,
        fc.integer({ min: 1, max: 999 }),
        instantMs,
        fc.integer({ min: 0, max: 2 * DAY * 1000 }),
        (spec, t, amt, extra, p0, plen) => {
          const cal = compileOrSkip(spec);
          if (!cal) return;
          tolerant(() => {
            const r = addBusinessSeconds(cal, new Date(t), amt);
            expect(businessMillisecondsBetween(cal, new Date(t), r)).toBe(amt * 1000);
            expect(businessSecondsBetween(cal, new Date(t), r)).toBe(amt);
            // the start's second cut off would be earlier, never later
            const cut = addBusinessSeconds(cal, new Date(Math.floor(t / 1000) * 1000), amt);
            expect(r.getTime()).toBeGreaterThanOrEqual(cut.getTime());
            expect(businessMillisecondsBetween(cal, cut, r)).toBe(isOpen(cal, new Date(t)) ? t % 1000 : 0);
            // milliseconds as amounts, and back
            const rm = addBusinessMilliseconds(cal, new Date(t), amt * 1000 + extra);
            expect(businessMillisecondsBetween(cal, new Date(t), rm)).toBe(amt * 1000 + extra);
            expect(rm.getTime()).toBeGreaterThan(r.getTime());
            const back = addBusinessMilliseconds(cal, rm, -(amt * 1000 + extra));
            expect(businessMillisecondsBetween(cal, back, rm)).toBe(amt * 1000 + extra);
            // the latest such instant: t itself when open, else the opening after t
            expect(back.getTime()).toBe(isOpen(cal, new Date(t)) ? t : nextOpen(cal, new Date(t)).getTime());
            // a pause with milliseconds removes exactly its business milliseconds
            const pause: [Date, Date] = [new Date(p0), new Date(p0 + plen)];
            const rp = addBusinessSeconds(cal, new Date(t), amt, { exclude: [pause] });
            expect(businessMillisecondsBetween(cal, new Date(t), rp, { exclude: [pause] })).toBe(amt * 1000);
            const lo = Math.max(t, p0);
            const hi = Math.min(rp.getTime(), p0 + plen);
            const inside = lo < hi ? businessMillisecondsBetween(cal, new Date(lo), new Date(hi)) : 0;
            expect(businessMillisecondsBetween(cal, new Date(t), rp)).toBe(amt * 1000 + inside);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('businessMillisecondsBetween is antisymmetric and additive at any millisecond', () => {
    fc.assert(
      fc.property(specs, instantMs, instantMs, instantMs, (spec, a, b, c) => {
        const cal = compileOrSkip(spec);
        if (!cal) return;
        tolerant(() => {
          const [A, B, C] = [new Date(a), new Date(b), new Date(c)];
          const ab = businessMillisecondsBetween(cal, A, B);
          expect(businessMillisecondsBetween(cal, B, A) + ab).toBe(0);
          expect(ab + businessMillisecondsBetween(cal, B, C)).toBe(businessMillisecondsBetween(cal, A, C));
          expect(Math.abs(ab)).toBeLessThanOrEqual(Math.abs(b - a));
          expect(businessSecondsBetween(cal, A, B)).toBe(Math.trunc(ab / 1000) || 0);
        });
      }),
      { numRuns: 250 },
    );
  });

  it("the start of the next business day: one answer per closed period, the next day's opening inside hours", () => {
    fc.assert(
      fc.property(specs, instantMs, fc.double({ min: 0, max: 1, noNaN: true }), (spec, t, frac) => {
        const cal = compileOrSkip(spec);
        if (!cal) return;
        tolerant(() => {
          const T = new Date(t);
          const a = startOfNextBusinessDay(cal, T);
          expect(isOpen(cal, a)).toBe(true);
          if (isOpen(cal, T)) {
            expect(a.getTime()).toBe(nextBusinessDayStart(cal, T).getTime());
            expect(a.getTime()).toBeGreaterThan(t);
          } else {
            const opening = nextOpen(cal, T);
            expect(a.getTime()).toBe(opening.getTime());
            expect(businessMillisecondsBetween(cal, T, a)).toBe(0);
            // any other instant of the same closed period
            const other = new Date(t + Math.floor(frac * (opening.getTime() - t - 1)));
            expect(isOpen(cal, other)).toBe(false);
            expect(startOfNextBusinessDay(cal, other).getTime()).toBe(a.getTime());
          }
        });
      }),
      { numRuns: 250 },
    );
  });

  it('lazy extension gives the same answers as compiling the whole range up front', () => {
    fc.assert(
      fc.property(specs, instant, amount, (spec, t, amt) => {
        const lazy = compileOrSkip(spec);
        if (!lazy) return;
        let eager: CompiledCalendar;
        try {
          eager = compileCalendar(spec, { from: d(T0 - 400 * DAY), to: d(T1 + 400 * DAY), lazy: false });
        } catch (e) {
          if (e instanceof BusinessTimeError && e.code === 'CALENDAR.END_BEFORE_START') return;
          throw e;
        }
        tolerant(() => {
          let expected: number | string;
          try {
            expected = s(addBusinessSeconds(eager, d(t), amt));
          } catch (e) {
            if (!(e instanceof BusinessTimeError)) throw e;
            expected = e.code;
          }
          if (expected === 'CALENDAR.OUT_OF_RANGE') return;
          if (typeof expected === 'string') {
            expect(() => addBusinessSeconds(lazy, d(t), amt)).toThrow(expected);
          } else {
            expect(s(addBusinessSeconds(lazy, d(t), amt))).toBe(expected);
          }
          expect(businessSecondsBetween(lazy, d(t), d(t + amt))).toBe(
            businessSecondsBetween(eager, d(t), d(t + amt)),
          );
        });
      }),
      { numRuns: 120 },
    );
  });

  it('the default contract: every add lands in open time or on a closing time, never on a weekend', () => {
    const cal = compileCalendar(defaultContractCalendarSpec());
    fc.assert(
      fc.property(instant, amount, (t, amt) => {
        const r = addBusinessSeconds(cal, d(t), amt);
        const ny = new Intl.DateTimeFormat('en-US', {
          timeZone: 'America/New_York',
          weekday: 'short',
        }).format(r);
        const la = new Intl.DateTimeFormat('en-US', {
          timeZone: 'America/Los_Angeles',
          weekday: 'short',
          hour: 'numeric',
          hourCycle: 'h23',
        }).formatToParts(r);
        expect(['Sat', 'Sun']).not.toContain(ny);
        expect(isOpen(cal, r) || s(r) === s(nextClose(cal, new Date(r.getTime() - 1000)))).toBe(true);
        expect(la.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});
