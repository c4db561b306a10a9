import {
  BusinessTimeError,
  businessSecondsBetween,
  compileCalendar,
  defaultContractCalendarSpec,
  holidaysFromICalendar,
} from '../src';

const ics = (...events: string[]) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    ...events.flatMap((e) => ['BEGIN:VEVENT', ...e.split('\n'), 'END:VEVENT']),
    'END:VCALENDAR',
  ].join('\r\n');

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof BusinessTimeError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('holidaysFromICalendar', () => {
  it('reads all-day, multi-day, timed (TZID, UTC, floating) and DURATION events', () => {
    const text = ics(
      'UID:1\nDTSTART;VALUE=DATE:20251225\nDTEND;VALUE=DATE:20251226\nSUMMARY:Christmas Day',
      'UID:2\nDTSTART;VALUE=DATE:20251229\nDTEND;VALUE=DATE:20260101\nSUMMARY:Winter break',
      'UID:3\nDTSTART;TZID=America/New_York:20251224T120000\nDTEND;TZID=America/New_York:20251225T000000\nSUMMARY:Christmas Eve (afternoon)',
      'UID:4\nDTSTART:20251231T170000Z\nDTEND:20251231T200000Z\nSUMMARY:Maintenance',
      'UID:5\nDTSTART:20251120T090000\nDURATION:PT2H\nSUMMARY:Offsite',
      'UID:6\nDTSTART;VALUE=DATE:20251126\nSUMMARY:Single day without DTEND',
    );
    expect(holidaysFromICalendar(text, { zone: 'America/Los_Angeles' })).toEqual([
      { date: '2025-11-20', zone: 'America/Los_Angeles', start: '09:00', end: '11:00', name: 'Offsite' },
      { date: '2025-11-26', zone: 'America/Los_Angeles', name: 'Single day without DTEND' },
      { date: '2025-12-24', zone: 'America/New_York', start: '12:00', name: 'Christmas Eve (afternoon)' },
      { date: '2025-12-25', zone: 'America/Los_Angeles', name: 'Christmas Day' },
      { date: '2025-12-29', zone: 'America/Los_Angeles', endDate: '2025-12-31', name: 'Winter break' },
      { date: '2025-12-31', zone: 'UTC', start: '17:00', end: '20:00', name: 'Maintenance' },
    ]);
    // without a zone, all-day holidays take the calendar's zone when compiled
    expect(holidaysFromICalendar(ics('DTSTART;VALUE=DATE:20251225\nSUMMARY:X'))).toEqual([
      { date: '2025-12-25', name: 'X' },
    ]);
  });

  it('handles folding, escapes, LF line ends, nested alarms and cancelled events', () => {
    const text = [
      'BEGIN:VCALENDAR',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20250704',
      'SUMMARY:Independence\\, the',
      '  Fourth\\; of July\\nholiday',
      'BEGIN:VALARM',
      'TRIGGER:-PT15M',
      'DTSTART:20250101T000000Z',
      'END:VALARM',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'STATUS:CANCELLED',
      'DTSTART;VALUE=DATE:20250705',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\n');
    expect(holidaysFromICalendar(text, { zone: 'UTC' })).toEqual([
      { date: '2025-07-04', zone: 'UTC', name: 'Independence, the Fourth; of July\nholiday' },
    ]);
  });

  it('expands yearly rules (fixed date, ordinal weekday, COUNT, UNTIL, EXDATE)', () => {
    const text = ics(
      'DTSTART;VALUE=DATE:20241128\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\nSUMMARY:Thanksgiving',
      'DTSTART;VALUE=DATE:20240527\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO;UNTIL=20260101\nSUMMARY:Memorial Day',
      'DTSTART;VALUE=DATE:20231225\nRRULE:FREQ=YEARLY;COUNT=3\nEXDATE;VALUE=DATE:20241225\nSUMMARY:Christmas',
    );
    const out = holidaysFromICalendar(text, { zone: 'America/New_York', fromYear: 2024, toYear: 2027 });
    expect(out.map((h) => `${h.date} ${h.name}`)).toEqual([
      '2024-05-27 Memorial Day',
      '2024-11-28 Thanksgiving',
      '2025-05-26 Memorial Day',
      '2025-11-27 Thanksgiving',
      '2025-12-25 Christmas',
      '2026-11-26 Thanksgiving',
      '2027-11-25 Thanksgiving',
    ]);
  });

  it('rejects what it cannot represent faithfully', () => {
    expect(code(() => holidaysFromICalendar('hello'))).toBe('ICAL.INVALID');
    expect(code(() => holidaysFromICalendar(ics('DTSTART;VALUE=DATE:20250101\nRRULE:FREQ=MONTHLY')))).toBe(
      'ICAL.UNSUPPORTED',
    );
    expect(
      code(() => holidaysFromICalendar(ics('DTSTART;VALUE=DATE:20250101\nRRULE:FREQ=YEARLY;BYDAY=MO'))),
    ).toBe('ICAL.UNSUPPORTED');
    expect(
      code(() => holidaysFromICalendar(ics('DTSTART;VALUE=DATE:20250101\nRDATE;VALUE=DATE:20250102'))),
    ).toBe('ICAL.UNSUPPORTED');
    expect(
      code(() =>
        holidaysFromICalendar(
          ics(
            'DTSTART;TZID=Eastern Standard Time:20250101T090000\nDTEND;TZID=Eastern Standard Time:20250101T100000',
          ),
        ),
      ),
    ).toBe('ICAL.UNKNOWN_TZID');
    expect(code(() => holidaysFromICalendar(ics('DTSTART:2025-01-01')))).toBe('ICAL.INVALID');
    expect(code(() => holidaysFromICalendar(ics('SUMMARY:no start')))).toBe('ICAL.INVALID');
    expect(
      code(() => holidaysFromICalendar('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250101\r\n')),
    ).toBe('ICAL.INVALID');
  });

  it('imported holidays feed a calendar', () => {
    const holidays = holidaysFromICalendar(
      ics('DTSTART;VALUE=DATE:20251117\nDTEND;VALUE=DATE:20251118\nSUMMARY:Company day off'),
      { zone: 'America/New_York' },
    );
    const cal = compileCalendar({ ...defaultContractCalendarSpec(), holidays });
    expect(
      businessSecondsBetween(
        cal,
        new Date('2025-11-17T00:00:00-05:00'),
        new Date('2025-11-18T00:00:00-05:00'),
      ),
    ).toBe(0);
  });
});
