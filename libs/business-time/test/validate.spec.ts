import {
  defaultContractCalendarSpec,
  twentyFourSevenSpec,
  validateCalendarSpec,
  type CalendarSpec,
} from '../src';

const problems = (spec: unknown) => validateCalendarSpec(spec).map((p) => `${p.path} ${p.code}`);

describe('validateCalendarSpec', () => {
  it('accepts the presets', () => {
    expect(validateCalendarSpec(defaultContractCalendarSpec())).toEqual([]);
    expect(validateCalendarSpec(defaultContractCalendarSpec([2025, 2026]))).toEqual([]);
    expect(validateCalendarSpec(twentyFourSevenSpec())).toEqual([]);
  });

  it('lists every problem with a path, a code and a message, without throwing', () => {
    const spec = {
      version: 2,
      windows: [
        {
          days: ['MON', 'FUNDAY'],
          start: { time: '08:00', zone: 'Europe/Berlin' },
          end: { time: '24:30', zone: 'Atlantis/Capital' },
        },
        {
          days: [],
          start: { time: '08:00', zone: 'UTC' },
          end: { time: '07:00', zone: 'UTC' },
          endDayOffset: 0,
        },
        {
          days: ['TUE'],
          start: { time: '08:00', zone: 'UTC' },
          end: { time: '09:00', zone: 'UTC' },
          endDayOffset: 9,
        },
        {
          days: ['WED'],
          start: { time: '05:00', zone: 'Europe/Berlin' },
          end: { time: '08:00', zone: 'Asia/Kolkata' },
        },
      ],
      holidays: [{ date: '2025-02-30' }, { date: '2025-03-01', start: '13:00', end: '12:00', zone: 'UTC' }],
      holidayRules: [{ rule: 'uk-bank' }],
      exceptions: [{ date: 'tomorrow', like: 'HOLIDAY' }],
    };
    expect(problems(spec)).toEqual([
      'version CALENDAR.INVALID_SPEC',
      'windows[0].days[1] CALENDAR.INVALID_WEEKDAY',
      'windows[0].end.time CALENDAR.INVALID_TIME',
      'windows[0].end.zone CALENDAR.UNKNOWN_ZONE',
      'windows[1].days CALENDAR.INVALID_SPEC',
      'windows[1] CALENDAR.END_BEFORE_START',
      'windows[2].endDayOffset CALENDAR.INVALID_END_DAY_OFFSET',
      'windows[3] CALENDAR.END_BEFORE_START',
      'exceptions[0].date CALENDAR.INVALID_DATE',
      'exceptions[0].like CALENDAR.INVALID_WEEKDAY',
      'holidays[0].date CALENDAR.INVALID_DATE',
      'holidays[1] CALENDAR.END_BEFORE_START',
      'holidayRules[0].rule CALENDAR.UNKNOWN_HOLIDAY_RULE',
    ]);
    for (const p of validateCalendarSpec(spec)) expect(p.message.length).toBeGreaterThan(10);
  });

  it('checks nested calendars and zones', () => {
    const spec: CalendarSpec = {
      kind: 'union',
      calendars: [
        twentyFourSevenSpec(),
        {
          windows: [
            {
              days: ['MON'],
              start: { time: '08:00', zone: 'Nope/Nope' },
              end: { time: '09:00', zone: 'UTC' },
            },
          ],
        },
      ],
    };
    expect(problems(spec)).toEqual(['calendars[1].windows[0].start.zone CALENDAR.UNKNOWN_ZONE']);
    expect(problems({ kind: 'intersection', calendars: [] })).toEqual(['calendars CALENDAR.INVALID_SPEC']);
    expect(problems({ kind: 'sum', calendars: [] })).toEqual(['kind CALENDAR.UNKNOWN_KIND']);
    expect(problems(null)).toEqual([' CALENDAR.INVALID_SPEC']);
    expect(problems({})).toEqual(['windows CALENDAR.INVALID_SPEC']);
    expect(problems({ windows: [], holidays: [{ date: '2025-01-01' }] })).toEqual([
      'holidays[0].zone CALENDAR.MISSING_ZONE',
    ]);
    expect(
      problems({
        windows: [{ days: ['MON'], start: { time: '08:00' }, end: { time: '09:00', zone: 'UTC' } }],
      }),
    ).toEqual(['windows[0].start.zone CALENDAR.MISSING_ZONE']);
  });
});
