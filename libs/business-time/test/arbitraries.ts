import fc from 'fast-check';
import type {
  CalendarSpec,
  ExceptionSpec,
  HolidaySpec,
  Weekday,
  WeeklyCalendarSpec,
  WindowTimesSpec,
  WeeklyWindowSpec,
} from '../src';

export const ZONES = [
  'America/New_York',
  'America/Los_Angeles',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
] as const;
export const WEEKDAYS: Weekday[] = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
const DAY = 86400;

const pad = (n: number) => String(n).padStart(2, '0');
export const hhmm = (min: number) => `${pad(Math.floor(min / 60))}:${pad(min % 60)}`;
export const isoDate = (day: number) => new Date(day * DAY * 1000).toISOString().slice(0, 10);

export const zoneArb = fc.constantFrom(...ZONES);

/** Times with a bias to DST-sensitive ones (02:00–03:00 is the gap/overlap in most zones here). */
export const timeArb = fc.oneof(
  fc.constantFrom(
    '00:00',
    '01:00',
    '01:30',
    '02:00',
    '02:15',
    '02:30',
    '03:00',
    '08:00',
    '09:00',
    '17:00',
    '18:00',
    '22:00',
    '06:00',
  ),
  fc.integer({ min: 0, max: 95 }).map((q) => hhmm(q * 15)),
  fc.integer({ min: 0, max: 1439 }).map(hhmm),
);
export const endTimeArb = fc.oneof(
  { arbitrary: timeArb, weight: 6 },
  { arbitrary: fc.constant('24:00'), weight: 1 },
);

export const windowTimesArb: fc.Arbitrary<WindowTimesSpec> = fc
  .record({
    startTime: timeArb,
    endTime: endTimeArb,
    startZone: zoneArb,
    otherZone: zoneArb,
    sameZone: fc.oneof(
      { arbitrary: fc.constant(true), weight: 3 },
      { arbitrary: fc.constant(false), weight: 1 },
    ),
    endDayOffset: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 6 },
      { arbitrary: fc.constant(1), weight: 2 },
      { arbitrary: fc.constant(0), weight: 1 },
      { arbitrary: fc.constant(2), weight: 1 },
    ),
  })
  .map((r) => {
    const w: WindowTimesSpec = {
      start: { time: r.startTime, zone: r.startZone },
      end: { time: r.endTime, zone: r.sameZone ? r.startZone : r.otherZone },
    };
    if (r.endDayOffset !== undefined) w.endDayOffset = r.endDayOffset;
    return w;
  });

export const weeklyWindowArb: fc.Arbitrary<WeeklyWindowSpec> = fc
  .tuple(windowTimesArb, fc.subarray(WEEKDAYS, { minLength: 1 }))
  .map(([w, days]) => ({ ...w, days }));

export function holidayArb(d0: number, d1: number): fc.Arbitrary<HolidaySpec> {
  return fc
    .record({
      day: fc.integer({ min: d0, max: d1 }),
      zone: zoneArb,
      partial: fc.option(fc.tuple(fc.integer({ min: 0, max: 95 }), fc.integer({ min: 1, max: 60 })), {
        nil: undefined,
      }),
    })
    .map(({ day, zone, partial }) => {
      const h: HolidaySpec = { date: isoDate(day), zone };
      if (partial) {
        const s = partial[0] * 15;
        const e = s + partial[1] * 15;
        h.start = hhmm(s);
        if (e < 1440) h.end = hhmm(e);
        else if (e > 1440) {
          h.endDate = isoDate(day + 1);
          h.end = hhmm(e - 1440);
        }
      }
      return h;
    });
}

export function exceptionArb(d0: number, d1: number): fc.Arbitrary<ExceptionSpec> {
  return fc
    .record({
      day: fc.integer({ min: d0, max: d1 }),
      windows: fc.array(windowTimesArb, { maxLength: 2 }),
      like: fc.option(fc.constantFrom(...WEEKDAYS), { nil: undefined }),
    })
    .map(({ day, windows, like }) => {
      const x: ExceptionSpec = { date: isoDate(day), windows };
      if (like) x.like = like;
      return x;
    });
}

export function weeklySpecArb(d0: number, d1: number): fc.Arbitrary<WeeklyCalendarSpec> {
  return fc
    .record({
      windows: fc.array(weeklyWindowArb, { minLength: 1, maxLength: 3 }),
      holidays: fc.array(holidayArb(d0, d1), { maxLength: 3 }),
      exceptions: fc.array(exceptionArb(d0, d1), { maxLength: 1 }),
      zone: fc.option(zoneArb, { nil: undefined }),
    })
    .map((r) => {
      const s: WeeklyCalendarSpec = { windows: r.windows, holidays: r.holidays, exceptions: r.exceptions };
      if (r.zone) s.zone = r.zone;
      return s;
    });
}

export function calendarSpecArb(d0: number, d1: number): fc.Arbitrary<CalendarSpec> {
  const weekly = weeklySpecArb(d0, d1);
  return fc.oneof(
    { arbitrary: weekly, weight: 4 },
    {
      arbitrary: fc
        .record({
          kind: fc.constantFrom('union' as const, 'intersection' as const),
          calendars: fc.array(weekly, { minLength: 2, maxLength: 2 }),
          holidays: fc.array(holidayArb(d0, d1), { maxLength: 1 }),
        })
        .map((r): CalendarSpec => ({ kind: r.kind, calendars: r.calendars, holidays: r.holidays })),
      weight: 2,
    },
  );
}
