import {
  compileCalendar,
  defaultContractCalendarSpec,
  isOpen,
  usFederalHolidayDates,
  usFederalHolidays,
} from '../src';

const dates = (y: number) => usFederalHolidayDates(y).map((h) => h.date);

describe('US federal holidays (observed dates, OPM rules)', () => {
  it('2025', () => {
    expect(dates(2025)).toEqual([
      '2025-01-01',
      '2025-01-20',
      '2025-02-17',
      '2025-05-26',
      '2025-06-19',
      '2025-07-04',
      '2025-09-01',
      '2025-10-13',
      '2025-11-11',
      '2025-11-27',
      '2025-12-25',
    ]);
  });

  it('2026: Independence Day on Saturday is observed Friday July 3', () => {
    expect(dates(2026)).toEqual([
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-09-07',
      '2026-10-12',
      '2026-11-11',
      '2026-11-26',
      '2026-12-25',
    ]);
  });

  it('2021: Saturday holidays move to Friday, including New Year 2022 to December 31, 2021', () => {
    expect(dates(2021)).toEqual([
      '2021-01-01',
      '2021-01-18',
      '2021-02-15',
      '2021-05-31',
      '2021-06-18',
      '2021-07-05',
      '2021-09-06',
      '2021-10-11',
      '2021-11-11',
      '2021-11-25',
      '2021-12-24',
      '2021-12-31',
    ]);
  });

  it('2022 and 2023: Sunday holidays move to Monday; 2022 has no January 1 holiday', () => {
    expect(dates(2022)).toEqual([
      '2022-01-17',
      '2022-02-21',
      '2022-05-30',
      '2022-06-20',
      '2022-07-04',
      '2022-09-05',
      '2022-10-10',
      '2022-11-11',
      '2022-11-24',
      '2022-12-26',
    ]);
    expect(dates(2023)).toEqual([
      '2023-01-02',
      '2023-01-16',
      '2023-02-20',
      '2023-05-29',
      '2023-06-19',
      '2023-07-04',
      '2023-09-04',
      '2023-10-09',
      '2023-11-10',
      '2023-11-23',
      '2023-12-25',
    ]);
  });

  it('Juneteenth only from 2021, MLK Day only from 1986', () => {
    expect(usFederalHolidayDates(2020).map((h) => h.name)).not.toContain(
      'Juneteenth National Independence Day',
    );
    expect(usFederalHolidayDates(1985).map((h) => h.name)).not.toContain(
      'Birthday of Martin Luther King, Jr.',
    );
    expect(usFederalHolidayDates(1986).map((h) => h.name)).toContain('Birthday of Martin Luther King, Jr.');
  });

  it('names, actual dates and specs', () => {
    const h = usFederalHolidayDates(2027).find((x) => x.name === 'Christmas Day')!;
    expect(h).toEqual({ date: '2027-12-24', actual: '2027-12-25', name: 'Christmas Day' });
    expect(usFederalHolidays(2025, 2025, { zone: 'America/Chicago' })[0]).toEqual({
      date: '2025-01-01',
      zone: 'America/Chicago',
      name: "New Year's Day",
    });
    expect(usFederalHolidays(2024, 2026)).toHaveLength(33);
  });

  it('the rule-based and the explicit default contract agree on every holiday 2024–2030', () => {
    const rule = compileCalendar(defaultContractCalendarSpec());
    const explicit = compileCalendar(defaultContractCalendarSpec({ from: 2024, to: 2030 }));
    for (const h of usFederalHolidayDates(2024, 2030)) {
      const noon = new Date(`${h.date}T12:00:00-05:00`);
      expect([h.date, isOpen(rule, noon)]).toEqual([h.date, false]);
      expect([h.date, isOpen(explicit, noon)]).toEqual([h.date, false]);
    }
    expect(isOpen(rule, new Date('2027-12-27T12:00:00-05:00'))).toBe(true);
  });
});
