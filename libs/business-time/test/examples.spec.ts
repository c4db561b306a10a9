import {
  addBusinessMilliseconds,
  addBusinessSeconds,
  BusinessTimeError,
  businessMillisecondsBetween,
  businessSecondsBetween,
  compileCalendar,
  defaultContractCalendarSpec,
  intersectionOf,
  isOpen,
  nextBusinessDayStart,
  nextClose,
  nextOpen,
  openIntervals,
  parseIsoDuration,
  startOfNextBusinessDay,
  twentyFourSevenSpec,
  unionOf,
  type CalendarSpec,
  type WeeklyCalendarSpec,
} from '../src';

const H = 3600;
const utc = (iso: string) => new Date(iso);
const MON_FRI = ['MON', 'TUE', 'WED', 'THU', 'FRI'] as WeeklyCalendarSpec['windows'][0]['days'];
const ALL = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as WeeklyCalendarSpec['windows'][0]['days'];

function daily(
  start: string,
  end: string,
  zone: string,
  extra: Partial<WeeklyCalendarSpec> = {},
): WeeklyCalendarSpec {
  return { windows: [{ days: ALL, start: { time: start, zone }, end: { time: end, zone } }], ...extra };
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof BusinessTimeError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('default contract (Mon–Fri 08:00 America/New_York → 18:00 America/Los_Angeles, US federal holidays)', () => {
  const cal = compileCalendar(defaultContractCalendarSpec());
  const explicit = compileCalendar(defaultContractCalendarSpec({ from: 2025, to: 2026 }));

  it('a high-severity case received Friday 17:30 America/Los_Angeles with a PT4H goal is due Monday 11:30 America/New_York', () => {
    const received = utc('2025-11-14T17:30:00-08:00'); // Friday, no holiday
    const due = addBusinessSeconds(cal, received, parseIsoDuration('PT4H'));
    expect(due.toISOString()).toBe(utc('2025-11-17T11:30:00-05:00').toISOString()); // Monday 11:30 EST
    expect(addBusinessSeconds(explicit, received, 4 * H)).toEqual(due);
    expect(businessSecondsBetween(cal, received, due)).toBe(4 * H);
  });

  it('in Thanksgiving week the holiday is skipped', () => {
    // Wednesday before Thanksgiving 17:30 PT: 30 minutes left that day, Thursday is off, 3.5 h on Friday
    const due = addBusinessSeconds(cal, utc('2025-11-26T17:30:00-08:00'), parseIsoDuration('PT4H'));
    expect(due.toISOString()).toBe(utc('2025-11-28T11:30:00-05:00').toISOString());
    expect(addBusinessSeconds(explicit, utc('2025-11-26T17:30:00-08:00'), 4 * H)).toEqual(due);
    expect(isOpen(cal, utc('2025-11-27T12:00:00-05:00'))).toBe(false);
    // received on Thanksgiving Day itself: the clock starts Friday 08:00 ET
    expect(addBusinessSeconds(cal, utc('2025-11-27T10:00:00-05:00'), 4 * H).toISOString()).toBe(
      utc('2025-11-28T12:00:00-05:00').toISOString(),
    );
  });

  it('a Friday case before a Monday holiday (MLK Day 2026) is due Tuesday', () => {
    const due = addBusinessSeconds(cal, utc('2026-01-16T17:30:00-08:00'), 4 * H);
    expect(due.toISOString()).toBe(utc('2026-01-20T11:30:00-05:00').toISOString());
  });

  it('a business day is 13 hours (08:00 ET to 18:00 PT = 21:00 ET), winter and summer', () => {
    expect(
      businessSecondsBetween(cal, utc('2025-11-17T00:00:00-05:00'), utc('2025-11-18T00:00:00-05:00')),
    ).toBe(13 * H);
    expect(
      businessSecondsBetween(cal, utc('2025-07-15T00:00:00-04:00'), utc('2025-07-16T00:00:00-04:00')),
    ).toBe(13 * H);
    // a full week without holidays
    expect(businessSecondsBetween(cal, utc('2025-11-16T00:00:00Z'), utc('2025-11-23T00:00:00Z'))).toBe(
      65 * H,
    );
    expect(businessSecondsBetween(cal, utc('2025-11-23T00:00:00Z'), utc('2025-11-16T00:00:00Z'))).toBe(
      -65 * H,
    );
  });

  it('opens, closes and finds the next business day', () => {
    expect(isOpen(cal, utc('2025-11-17T20:59:59-05:00'))).toBe(true);
    expect(isOpen(cal, utc('2025-11-17T21:00:00-05:00'))).toBe(false);
    expect(isOpen(cal, utc('2025-11-17T08:00:00-05:00'))).toBe(true);
    expect(isOpen(cal, utc('2025-11-17T07:59:59-05:00'))).toBe(false);
    expect(nextClose(cal, utc('2025-11-17T09:00:00-05:00')).toISOString()).toBe(
      utc('2025-11-17T18:00:00-08:00').toISOString(),
    );
    expect(nextOpen(cal, utc('2025-11-14T17:30:00-08:00')).toISOString()).toBe(
      utc('2025-11-14T17:30:00-08:00').toISOString(),
    );
    expect(nextOpen(cal, utc('2025-11-15T12:00:00Z')).toISOString()).toBe(
      utc('2025-11-17T08:00:00-05:00').toISOString(),
    );
    expect(nextClose(cal, utc('2025-11-15T12:00:00Z')).toISOString()).toBe(
      utc('2025-11-17T18:00:00-08:00').toISOString(),
    );
    expect(nextBusinessDayStart(cal, utc('2025-11-14T17:30:00-08:00')).toISOString()).toBe(
      utc('2025-11-17T08:00:00-05:00').toISOString(),
    );
    expect(nextBusinessDayStart(cal, utc('2025-11-26T10:00:00-05:00')).toISOString()).toBe(
      utc('2025-11-28T08:00:00-05:00').toISOString(),
    );
    // before opening on Monday, the next business day is Tuesday
    expect(nextBusinessDayStart(cal, utc('2025-11-17T07:00:00-05:00')).toISOString()).toBe(
      utc('2025-11-18T08:00:00-05:00').toISOString(),
    );
  });

  it('negative amounts go back in business time (latest instant)', () => {
    expect(addBusinessSeconds(cal, utc('2025-11-17T11:30:00-05:00'), -4 * H).toISOString()).toBe(
      utc('2025-11-14T17:30:00-08:00').toISOString(),
    );
    expect(addBusinessSeconds(cal, utc('2025-11-17T08:00:30-05:00'), -30).toISOString()).toBe(
      utc('2025-11-17T08:00:00-05:00').toISOString(),
    );
    expect(addBusinessSeconds(cal, utc('2025-11-17T08:00:30-05:00'), -31).toISOString()).toBe(
      utc('2025-11-14T17:59:59-08:00').toISOString(),
    );
  });

  it('the deadline can fall exactly on a closing time (earliest instant)', () => {
    expect(addBusinessSeconds(cal, utc('2025-11-14T17:30:00-08:00'), 30 * 60).toISOString()).toBe(
      utc('2025-11-14T18:00:00-08:00').toISOString(),
    );
    expect(addBusinessSeconds(cal, utc('2025-11-15T12:00:00Z'), 0).toISOString()).toBe(
      '2025-11-15T12:00:00.000Z',
    );
  });

  it('survives a JSON round trip (MongoDB / REST)', () => {
    const spec = JSON.parse(JSON.stringify(defaultContractCalendarSpec([2025]))) as CalendarSpec;
    const c = compileCalendar(spec);
    expect(addBusinessSeconds(c, utc('2025-11-26T17:30:00-08:00'), 4 * H)).toEqual(
      addBusinessSeconds(cal, utc('2025-11-26T17:30:00-08:00'), 4 * H),
    );
  });
});

describe('DST: a boundary is the first instant the wall clock shows that time or later', () => {
  it('spring forward (America/New_York 2025-03-09, 02:00 → 03:00): 02:30 means 03:00 EDT', () => {
    const cal = compileCalendar(daily('02:30', '06:00', 'America/New_York'));
    expect(nextOpen(cal, utc('2025-03-09T00:00:00-05:00')).toISOString()).toBe('2025-03-09T07:00:00.000Z'); // 03:00 EDT
    expect(
      businessSecondsBetween(cal, utc('2025-03-09T00:00:00-05:00'), utc('2025-03-09T12:00:00-04:00')),
    ).toBe(3 * H);
    expect(
      businessSecondsBetween(cal, utc('2025-03-08T00:00:00-05:00'), utc('2025-03-08T12:00:00-05:00')),
    ).toBe(3.5 * H);
  });

  it('a window inside the gap is empty that day; 02:00 → 03:00 too', () => {
    const cal = compileCalendar(daily('02:00', '03:00', 'America/New_York'));
    expect(
      businessSecondsBetween(cal, utc('2025-03-09T00:00:00-05:00'), utc('2025-03-10T00:00:00-04:00')),
    ).toBe(0);
    expect(
      businessSecondsBetween(cal, utc('2025-03-10T00:00:00-04:00'), utc('2025-03-11T00:00:00-04:00')),
    ).toBe(H);
  });

  it('fall back (America/New_York 2025-11-02, 01:00–02:00 twice): 01:30 means the first 01:30 (EDT)', () => {
    const cal = compileCalendar(daily('01:30', '03:00', 'America/New_York'));
    expect(nextOpen(cal, utc('2025-11-02T00:00:00-04:00')).toISOString()).toBe('2025-11-02T05:30:00.000Z'); // 01:30 EDT
    expect(nextClose(cal, utc('2025-11-02T00:00:00-04:00')).toISOString()).toBe('2025-11-02T08:00:00.000Z'); // 03:00 EST
    expect(
      businessSecondsBetween(cal, utc('2025-11-02T00:00:00-04:00'), utc('2025-11-02T12:00:00-05:00')),
    ).toBe(2.5 * H);
  });

  it('an overnight window across spring forward is an hour shorter', () => {
    const cal = compileCalendar(daily('22:00', '06:00', 'America/New_York'));
    expect(
      businessSecondsBetween(cal, utc('2025-03-08T12:00:00-05:00'), utc('2025-03-09T12:00:00-04:00')),
    ).toBe(7 * H);
    expect(
      businessSecondsBetween(cal, utc('2025-03-15T12:00:00-04:00'), utc('2025-03-16T12:00:00-04:00')),
    ).toBe(8 * H);
  });

  it('Australia/Lord_Howe moves by 30 minutes', () => {
    // 2025-10-05 02:00 LHST (+10:30) → 02:30 LHDT (+11) at 15:30Z on Oct 4
    const gap = compileCalendar(daily('02:15', '03:00', 'Australia/Lord_Howe'));
    expect(nextOpen(gap, utc('2025-10-04T12:00:00Z')).toISOString()).toBe('2025-10-04T15:30:00.000Z');
    expect(nextClose(gap, utc('2025-10-04T12:00:00Z')).toISOString()).toBe('2025-10-04T16:00:00.000Z');
    // 2025-04-06 02:00 LHDT → 01:30 LHST at 15:00Z on Apr 5: 01:30 → 02:30 lasts 90 minutes
    const overlap = compileCalendar(daily('01:30', '02:30', 'Australia/Lord_Howe'));
    expect(businessSecondsBetween(overlap, utc('2025-04-05T12:00:00Z'), utc('2025-04-05T20:00:00Z'))).toBe(
      1.5 * H,
    );
    expect(nextOpen(overlap, utc('2025-04-05T12:00:00Z')).toISOString()).toBe('2025-04-05T14:30:00.000Z');
  });

  it('Asia/Kolkata (+05:30) and cross-zone overnight windows', () => {
    const ist = compileCalendar(daily('09:30', '18:00', 'Asia/Kolkata'));
    expect(
      openIntervals(ist, utc('2025-01-06T00:00:00Z'), utc('2025-01-07T00:00:00Z')).map(([a, b]) => [
        a.toISOString(),
        b.toISOString(),
      ]),
    ).toEqual([['2025-01-06T04:00:00.000Z', '2025-01-06T12:30:00.000Z']]);
    // 22:00 Kolkata → 06:00 Berlin next day: 16:30Z → 05:00Z (CET) / 04:00Z (CEST)
    const cross = compileCalendar({
      windows: [
        {
          days: ['MON'],
          start: { time: '22:00', zone: 'Asia/Kolkata' },
          end: { time: '06:00', zone: 'Europe/Berlin' },
        },
      ],
    });
    expect(businessSecondsBetween(cross, utc('2025-01-06T00:00:00Z'), utc('2025-01-08T00:00:00Z'))).toBe(
      12.5 * H,
    );
    expect(businessSecondsBetween(cross, utc('2025-07-07T00:00:00Z'), utc('2025-07-09T00:00:00Z'))).toBe(
      11.5 * H,
    );
  });
});

describe('calendar features', () => {
  it('24×7', () => {
    const cal = compileCalendar(twentyFourSevenSpec('Europe/Berlin'));
    const t = utc('2025-03-29T12:34:56Z');
    expect(addBusinessSeconds(cal, t, 7 * 24 * H).getTime()).toBe(t.getTime() + 7 * 24 * H * 1000);
    expect(businessSecondsBetween(cal, t, utc('2025-04-05T12:34:56Z'))).toBe(7 * 24 * H);
    expect(isOpen(cal, t)).toBe(true);
    expect(code(() => nextClose(cal, t))).toBe('CALENDAR.NEVER_CLOSES');
    expect(nextBusinessDayStart(cal, t).toISOString()).toBe(utc('2025-03-30T00:00:00+01:00').toISOString());
    expect(cal.intervalCount).toBe(1);
  });

  it('several windows per day and overnight windows', () => {
    const cal = compileCalendar({
      windows: [
        {
          days: MON_FRI,
          start: { time: '09:00', zone: 'Europe/Berlin' },
          end: { time: '12:00', zone: 'Europe/Berlin' },
        },
        {
          days: MON_FRI,
          start: { time: '13:00', zone: 'Europe/Berlin' },
          end: { time: '17:00', zone: 'Europe/Berlin' },
        },
        {
          days: ['FRI'],
          start: { time: '22:00', zone: 'Europe/Berlin' },
          end: { time: '06:00', zone: 'Europe/Berlin' },
        },
      ],
    });
    expect(
      businessSecondsBetween(cal, utc('2025-01-06T00:00:00+01:00'), utc('2025-01-13T00:00:00+01:00')),
    ).toBe(5 * 7 * H + 8 * H);
    expect(addBusinessSeconds(cal, utc('2025-01-06T11:00:00+01:00'), 2 * H).toISOString()).toBe(
      utc('2025-01-06T14:00:00+01:00').toISOString(),
    );
    expect(isOpen(cal, utc('2025-01-11T05:59:59+01:00'))).toBe(true); // Saturday morning, Friday's window
    expect(nextClose(cal, utc('2025-01-10T16:00:00+01:00')).toISOString()).toBe(
      utc('2025-01-10T17:00:00+01:00').toISOString(),
    );
  });

  it('nextBusinessDayStart uses window dates: overnight windows start at their opening, holidays cut them', () => {
    const spec = daily('22:00', '06:00', 'America/New_York', {
      holidays: [{ date: '2025-06-11', zone: 'America/New_York' }],
    });
    const cal = compileCalendar(spec);
    expect(nextBusinessDayStart(cal, utc('2025-06-09T23:00:00-04:00')).toISOString()).toBe(
      utc('2025-06-10T22:00:00-04:00').toISOString(),
    );
    // Wednesday's window 22:00 → Thu 06:00 is on holiday until Thursday 00:00
    expect(nextBusinessDayStart(cal, utc('2025-06-10T23:00:00-04:00')).toISOString()).toBe(
      utc('2025-06-12T00:00:00-04:00').toISOString(),
    );
  });

  it('union and intersection, including the US/EU DST mismatch weeks', () => {
    const ny: CalendarSpec = {
      windows: [
        {
          days: MON_FRI,
          start: { time: '09:00', zone: 'America/New_York' },
          end: { time: '17:00', zone: 'America/New_York' },
        },
      ],
    };
    const berlin: CalendarSpec = {
      windows: [
        {
          days: MON_FRI,
          start: { time: '09:00', zone: 'Europe/Berlin' },
          end: { time: '17:00', zone: 'Europe/Berlin' },
        },
      ],
    };
    const union = compileCalendar(unionOf(ny, berlin));
    const inter = compileCalendar(intersectionOf(ny, berlin));
    const day = (iso: string) => [utc(`${iso}T00:00:00Z`), utc(`${iso}T23:59:59Z`)] as const;
    expect(businessSecondsBetween(union, ...day('2025-01-08'))).toBe(14 * H); // 08:00Z–22:00Z
    expect(businessSecondsBetween(inter, ...day('2025-01-08'))).toBe(2 * H); // 14:00Z–16:00Z
    expect(businessSecondsBetween(inter, ...day('2025-03-12'))).toBe(3 * H); // NY already on EDT: 13:00Z–16:00Z
    expect(businessSecondsBetween(inter, ...day('2025-04-09'))).toBe(2 * H);
  });

  it('date exceptions: special hours, an extra working day, a closed day; exceptions win over holidays', () => {
    const base = defaultContractCalendarSpec([2025]);
    const cal = compileCalendar({
      ...base,
      exceptions: [
        {
          date: '2025-12-24',
          windows: [
            {
              start: { time: '09:00', zone: 'America/New_York' },
              end: { time: '13:00', zone: 'America/New_York' },
            },
          ],
        },
        { date: '2025-12-27', like: 'MON', name: 'extra Saturday' },
        { date: '2025-12-26', windows: [] },
        {
          date: '2025-11-27',
          windows: [
            {
              start: { time: '10:00', zone: 'America/New_York' },
              end: { time: '12:00', zone: 'America/New_York' },
            },
          ],
        },
      ],
    });
    const nyDay = (date: string) =>
      businessSecondsBetween(cal, utc(`${date}T00:00:00-05:00`), utc(`${date}T23:59:59-05:00`));
    expect(nyDay('2025-12-24')).toBe(4 * H);
    expect(nyDay('2025-12-26')).toBe(0);
    expect(nyDay('2025-12-27')).toBe(13 * H);
    expect(nyDay('2025-11-27')).toBe(2 * H); // Thanksgiving, but special hours were declared
    expect(nyDay('2025-12-25')).toBe(0); // Christmas
  });

  it('partial-day and multi-day holidays', () => {
    const cal = compileCalendar({
      ...defaultContractCalendarSpec([2025]),
      holidays: [
        { date: '2025-12-23', zone: 'America/New_York', start: '12:00' },
        { date: '2025-12-29', endDate: '2025-12-30', zone: 'America/Los_Angeles', name: 'winter break' },
      ],
    });
    const nyDay = (date: string) =>
      businessSecondsBetween(cal, utc(`${date}T00:00:00-05:00`), utc(`${date}T23:59:59-05:00`));
    expect(nyDay('2025-12-23')).toBe(4 * H);
    expect(nyDay('2025-12-29')).toBe(0); // 2025-12-29 00:00 PT (03:00 ET) … 2025-12-31 00:00 PT (03:00 ET)
    expect(nyDay('2025-12-30')).toBe(0);
    expect(nyDay('2025-12-31')).toBe(13 * H);
  });

  it('instants keep their milliseconds (a deadline is never earlier than its start allows); windows may have seconds', () => {
    const cal = compileCalendar(daily('09:00:30', '17:00:15', 'UTC'));
    expect(nextOpen(cal, utc('2025-05-05T08:00:00Z')).toISOString()).toBe('2025-05-05T09:00:30.000Z');
    expect(nextOpen(cal, utc('2025-05-05T10:00:00.250Z')).toISOString()).toBe('2025-05-05T10:00:00.250Z');
    expect(addBusinessSeconds(cal, utc('2025-05-05T10:00:00.999Z'), 1).toISOString()).toBe(
      '2025-05-05T10:00:01.999Z',
    );
    // 0.9 s before closing + 10 s: 0.9 s today, 9.1 s after the next opening
    expect(addBusinessSeconds(cal, utc('2025-05-05T17:00:14.100Z'), 10).toISOString()).toBe(
      '2025-05-06T09:00:39.100Z',
    );
    // exactly to the closing time, and back
    expect(addBusinessSeconds(cal, utc('2025-05-05T17:00:04.500Z'), 10).toISOString()).toBe(
      '2025-05-05T17:00:14.500Z',
    );
    expect(addBusinessMilliseconds(cal, utc('2025-05-05T17:00:14.100Z'), 900).toISOString()).toBe(
      '2025-05-05T17:00:15.000Z',
    );
    expect(addBusinessSeconds(cal, utc('2025-05-06T09:00:39.100Z'), -10).toISOString()).toBe(
      '2025-05-05T17:00:14.100Z',
    );
    // closed time has no milliseconds to count: a start at 08:00:00.700 counts from the opening
    expect(addBusinessSeconds(cal, utc('2025-05-05T08:00:00.700Z'), 1).toISOString()).toBe(
      '2025-05-05T09:00:31.000Z',
    );
    expect(businessSecondsBetween(cal, utc('2025-05-05T00:00:00Z'), utc('2025-05-06T00:00:00Z'))).toBe(
      8 * H - 15,
    );
    expect(
      businessMillisecondsBetween(cal, utc('2025-05-05T17:00:14.100Z'), utc('2025-05-06T09:00:39.100Z')),
    ).toBe(10_000);
    // whole seconds, truncated toward zero
    expect(
      businessSecondsBetween(cal, utc('2025-05-05T10:00:00.100Z'), utc('2025-05-05T10:00:02.000Z')),
    ).toBe(1);
    expect(
      businessSecondsBetween(cal, utc('2025-05-05T10:00:02.000Z'), utc('2025-05-05T10:00:00.100Z')),
    ).toBe(-1);
    expect(
      openIntervals(cal, utc('2025-05-05T17:00:14.250Z'), utc('2025-05-06T09:00:30.500Z')).map(([a, b]) => [
        a.toISOString(),
        b.toISOString(),
      ]),
    ).toEqual([
      ['2025-05-05T17:00:14.250Z', '2025-05-05T17:00:15.000Z'],
      ['2025-05-06T09:00:30.000Z', '2025-05-06T09:00:30.500Z'],
    ]);
  });
});

describe('the start of the next business day (goal anchor, default contract)', () => {
  const cal = compileCalendar(defaultContractCalendarSpec());
  const et = (local: string) => utc(`${local}-05:00`).toISOString();
  const anchor = (local: string) => startOfNextBusinessDay(cal, utc(`${local}-05:00`)).toISOString();

  it("is the next opening outside support hours and the next business day's opening inside them", () => {
    expect(anchor('2025-11-17T07:00:00')).toBe(et('2025-11-17T08:00:00')); // Monday before opening
    expect(anchor('2025-11-16T23:00:00')).toBe(et('2025-11-17T08:00:00')); // Sunday night
    expect(anchor('2025-11-15T12:00:00')).toBe(et('2025-11-17T08:00:00')); // Saturday
    expect(anchor('2025-11-17T10:00:00')).toBe(et('2025-11-18T08:00:00')); // Monday inside hours
    expect(anchor('2025-11-17T08:00:00')).toBe(et('2025-11-18T08:00:00')); // at the opening: inside
    expect(anchor('2025-11-17T21:00:00')).toBe(et('2025-11-18T08:00:00')); // at the closing (18:00 PT): outside
    expect(anchor('2025-11-26T20:59:59')).toBe(et('2025-11-28T08:00:00')); // the Wednesday before Thanksgiving
    expect(anchor('2025-11-27T09:00:00')).toBe(et('2025-11-28T08:00:00')); // Thanksgiving Day itself
  });

  it('with a goal of PT2H: Mon 07:00 → Mon 10:00, Sun 23:00 → Mon 10:00, Mon 10:00 → Tue 10:00', () => {
    const due = (local: string) =>
      addBusinessSeconds(cal, startOfNextBusinessDay(cal, utc(`${local}-05:00`)), 2 * H).toISOString();
    expect(due('2025-11-17T07:00:00')).toBe(et('2025-11-17T10:00:00'));
    expect(due('2025-11-16T23:00:00')).toBe(et('2025-11-17T10:00:00'));
    expect(due('2025-11-17T10:00:00')).toBe(et('2025-11-18T10:00:00'));
  });
});

describe('pauses', () => {
  const cal = compileCalendar(defaultContractCalendarSpec());
  const at = (iso: string) => utc(iso);

  it('a pause inside business hours pushes the due time by its length', () => {
    const start = at('2025-11-17T09:00:00-05:00');
    const pause: [Date, Date] = [at('2025-11-17T10:00:00-05:00'), at('2025-11-17T11:00:00-05:00')];
    expect(addBusinessSeconds(cal, start, 4 * H, { exclude: [pause] }).toISOString()).toBe(
      at('2025-11-17T14:00:00-05:00').toISOString(),
    );
    expect(businessSecondsBetween(cal, start, at('2025-11-17T14:00:00-05:00'), { exclude: [pause] })).toBe(
      4 * H,
    );
  });

  it('overnight and overlapping pauses only remove business time, once', () => {
    const a = at('2025-11-17T08:00:00-05:00');
    const b = at('2025-11-18T21:00:00-05:00');
    const pauses: Array<[Date, Date]> = [
      [at('2025-11-17T20:00:00-05:00'), at('2025-11-18T09:00:00-05:00')],
      [at('2025-11-18T08:30:00-05:00'), at('2025-11-18T08:45:00-05:00')],
    ];
    expect(businessSecondsBetween(cal, a, b, { exclude: pauses })).toBe(26 * H - 2 * H);
    expect(businessSecondsBetween(cal, b, a, { exclude: pauses })).toBe(-(26 * H - 2 * H));
    expect(addBusinessSeconds(cal, a, 24 * H, { exclude: pauses }).toISOString()).toBe(b.toISOString());
    expect(addBusinessSeconds(cal, b, -24 * H, { exclude: pauses }).toISOString()).toBe(a.toISOString());
  });

  it('a pause that is still open at the start skips to its end', () => {
    const start = at('2025-11-17T09:00:00-05:00');
    const due = addBusinessSeconds(cal, start, H, {
      exclude: [[at('2025-11-17T08:00:00-05:00'), at('2025-11-17T12:00:00-05:00')]],
    });
    expect(due.toISOString()).toBe(at('2025-11-17T13:00:00-05:00').toISOString());
  });
});

describe('errors', () => {
  it('throws typed errors with stable codes', () => {
    expect(code(() => compileCalendar(daily('08:00', '17:00', 'Mars/Olympus_Mons')))).toBe(
      'CALENDAR.UNKNOWN_ZONE',
    );
    expect(
      code(() =>
        compileCalendar({
          windows: [
            {
              days: ['MON'],
              start: { time: '17:00', zone: 'UTC' },
              end: { time: '08:00', zone: 'UTC' },
              endDayOffset: 0,
            },
          ],
        }),
      ),
    ).toBe('CALENDAR.END_BEFORE_START');
    // 05:00 Berlin (04:00Z) → 08:00 Kolkata the same day (02:30Z)
    expect(
      code(() =>
        compileCalendar({
          windows: [
            {
              days: ['MON'],
              start: { time: '05:00', zone: 'Europe/Berlin' },
              end: { time: '08:00', zone: 'Asia/Kolkata' },
            },
          ],
        }),
      ),
    ).toBe('CALENDAR.END_BEFORE_START');
    expect(code(() => compileCalendar(daily('8:00', '17:00', 'UTC')))).toBe('CALENDAR.INVALID_TIME');
    expect(code(() => compileCalendar({ kind: 'weird' } as unknown as CalendarSpec))).toBe(
      'CALENDAR.UNKNOWN_KIND',
    );
    expect(
      code(() =>
        compileCalendar(daily('08:00', '17:00', 'UTC'), {
          from: utc('2025-02-01T00:00:00Z'),
          to: utc('2025-01-01T00:00:00Z'),
        }),
      ),
    ).toBe('CALENDAR.INVALID_RANGE');

    const empty = compileCalendar({ zone: 'UTC', windows: [] });
    expect(code(() => addBusinessSeconds(empty, utc('2025-01-01T00:00:00Z'), 60))).toBe('CALENDAR.EMPTY');
    expect(code(() => addBusinessSeconds(empty, utc('2025-01-01T00:00:00Z'), -60))).toBe('CALENDAR.EMPTY');
    expect(code(() => nextOpen(empty, utc('2025-01-01T00:00:00Z')))).toBe('CALENDAR.EMPTY');
    expect(businessSecondsBetween(empty, utc('2025-01-01T00:00:00Z'), utc('2026-01-01T00:00:00Z'))).toBe(0);

    const cal = compileCalendar(daily('08:00', '17:00', 'UTC'));
    expect(code(() => addBusinessSeconds(cal, new Date(NaN), 60))).toBe('ARGUMENT.INVALID_DATE');
    expect(code(() => addBusinessSeconds(cal, utc('2025-01-01T00:00:00Z'), 1.5))).toBe(
      'ARGUMENT.INVALID_SECONDS',
    );
    expect(code(() => addBusinessSeconds(cal, utc('2025-01-01T00:00:00Z'), Infinity))).toBe(
      'ARGUMENT.INVALID_SECONDS',
    );
    expect(
      code(() =>
        businessSecondsBetween(cal, utc('2025-01-01T00:00:00Z'), utc('2025-01-02T00:00:00Z'), {
          exclude: [[utc('2025-01-02T00:00:00Z'), utc('2025-01-01T00:00:00Z')]],
        }),
      ),
    ).toBe('ARGUMENT.INVALID_PAUSE');
    expect(code(() => isOpen(cal, utc('1800-01-01T00:00:00Z')))).toBe('CALENDAR.OUT_OF_RANGE');
  });

  it('error messages are clear and carry every problem', () => {
    try {
      compileCalendar({
        windows: [
          {
            days: ['MON', 'XYZ' as never],
            start: { time: '25:00', zone: 'Nowhere/City' },
            end: { time: '18:00', zone: 'UTC' },
          },
        ],
      });
      throw new Error('expected a throw');
    } catch (e) {
      expect(e).toBeInstanceOf(BusinessTimeError);
      const err = e as BusinessTimeError;
      expect(err.problems.map((p) => [p.path, p.code])).toEqual([
        ['windows[0].days[1]', 'CALENDAR.INVALID_WEEKDAY'],
        ['windows[0].start.time', 'CALENDAR.INVALID_TIME'],
        ['windows[0].start.zone', 'CALENDAR.UNKNOWN_ZONE'],
      ]);
      expect(err.message).toContain('XYZ');
      expect(err.message).toContain('and 2 more problems');
    }
  });
});

describe('compiled range', () => {
  it('extends lazily (whole years, growing) and agrees with an eager compile', () => {
    const spec = defaultContractCalendarSpec();
    const lazy = compileCalendar(spec, {
      from: utc('2025-01-01T00:00:00Z'),
      to: utc('2025-02-01T00:00:00Z'),
    });
    const eager = compileCalendar(spec, {
      from: utc('2020-01-01T00:00:00Z'),
      to: utc('2035-01-01T00:00:00Z'),
      lazy: false,
    });
    const t = utc('2031-11-26T17:30:00-08:00');
    expect(addBusinessSeconds(lazy, t, 4 * H)).toEqual(addBusinessSeconds(eager, t, 4 * H));
    expect(lazy.rangeEnd.getTime()).toBeGreaterThan(t.getTime());
    expect(addBusinessSeconds(lazy, utc('2021-07-02T12:00:00Z'), 40 * H)).toEqual(
      addBusinessSeconds(eager, utc('2021-07-02T12:00:00Z'), 40 * H),
    );
    // an SLA that runs past the end of the range also extends it
    const nearEnd = compileCalendar(spec, {
      from: utc('2025-01-01T00:00:00Z'),
      to: utc('2025-02-01T00:00:00Z'),
    });
    expect(addBusinessSeconds(nearEnd, utc('2025-01-30T12:00:00Z'), 100 * H)).toEqual(
      addBusinessSeconds(eager, utc('2025-01-30T12:00:00Z'), 100 * H),
    );
  });

  it('with lazy: false a query outside the range throws CALENDAR.OUT_OF_RANGE', () => {
    const cal = compileCalendar(defaultContractCalendarSpec(), {
      from: utc('2025-01-01T00:00:00Z'),
      to: utc('2025-02-01T00:00:00Z'),
      lazy: false,
    });
    expect(code(() => isOpen(cal, utc('2025-03-01T00:00:00Z')))).toBe('CALENDAR.OUT_OF_RANGE');
    expect(code(() => addBusinessSeconds(cal, utc('2025-01-30T00:00:00Z'), 200 * H))).toBe(
      'CALENDAR.OUT_OF_RANGE',
    );
  });
});
