/**
 * US federal holidays (5 U.S.C. 6103) with the observed-date rules for federal employees:
 * a holiday falling on Saturday is observed on the Friday before, on Sunday on the Monday after
 * (so New Year's Day on a Saturday is observed on December 31 of the previous year).
 * Modern rules only: MLK Day from 1986, Juneteenth from 2021; Inauguration Day is not included.
 */
import { civilFromDays, daysFromCivil, formatDate, weekdayIndex } from '../civil';
import type { HolidaySpec } from '../spec';

export interface FederalHoliday {
  /** Observed date, YYYY-MM-DD (the day off). */
  date: string;
  /** The statutory date, YYYY-MM-DD. */
  actual: string;
  name: string;
}

const MON = 0;
const THU = 3;

function nthWeekday(y: number, m: number, wd: number, n: number): number {
  const first = daysFromCivil(y, m, 1);
  return first + ((wd - weekdayIndex(first) + 7) % 7) + 7 * (n - 1);
}

function lastWeekday(y: number, m: number, wd: number): number {
  const last = (m === 12 ? daysFromCivil(y + 1, 1, 1) : daysFromCivil(y, m + 1, 1)) - 1;
  return last - ((weekdayIndex(last) - wd + 7) % 7);
}

function observed(day: number): number {
  const wd = weekdayIndex(day);
  if (wd === 5) return day - 1; // Saturday → Friday
  if (wd === 6) return day + 1; // Sunday → Monday
  return day;
}

function holidaysOfYear(y: number): Array<{ actual: number; observed: number; name: string }> {
  const out: Array<{ actual: number; observed: number; name: string }> = [];
  const fixed = (m: number, d: number, name: string) => {
    const a = daysFromCivil(y, m, d);
    out.push({ actual: a, observed: observed(a), name });
  };
  const floating = (a: number, name: string) => out.push({ actual: a, observed: a, name });
  fixed(1, 1, "New Year's Day");
  if (y >= 1986) floating(nthWeekday(y, 1, MON, 3), 'Birthday of Martin Luther King, Jr.');
  floating(nthWeekday(y, 2, MON, 3), "Washington's Birthday");
  floating(lastWeekday(y, 5, MON), 'Memorial Day');
  if (y >= 2021) fixed(6, 19, 'Juneteenth National Independence Day');
  fixed(7, 4, 'Independence Day');
  floating(nthWeekday(y, 9, MON, 1), 'Labor Day');
  floating(nthWeekday(y, 10, MON, 2), 'Columbus Day');
  fixed(11, 11, 'Veterans Day');
  floating(nthWeekday(y, 11, THU, 4), 'Thanksgiving Day');
  fixed(12, 25, 'Christmas Day');
  return out;
}

/** Federal holidays whose observed date falls in the years fromYear..toYear (inclusive), sorted by date. */
export function usFederalHolidayDates(fromYear: number, toYear: number = fromYear): FederalHoliday[] {
  const out: FederalHoliday[] = [];
  for (let y = fromYear; y <= toYear + 1; y++) {
    for (const h of holidaysOfYear(y)) {
      const oy = civilFromDays(h.observed).y;
      if (oy < fromYear || oy > toYear) continue;
      out.push({ date: formatDate(h.observed), actual: formatDate(h.actual), name: h.name });
    }
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** Observed federal holidays as whole-day HolidaySpecs in `zone` (default America/New_York). */
export function usFederalHolidays(
  fromYear: number,
  toYear: number = fromYear,
  options: { zone?: string } = {},
): HolidaySpec[] {
  const zone = options.zone ?? 'America/New_York';
  return usFederalHolidayDates(fromYear, toYear).map((h) => ({ date: h.date, zone, name: h.name }));
}
