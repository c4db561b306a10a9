import { usFederalHolidays } from './holidays/us-federal';
import type { WeeklyCalendarSpec } from './spec';

export const DEFAULT_CONTRACT_START_ZONE = 'America/New_York';
export const DEFAULT_CONTRACT_END_ZONE = 'America/Los_Angeles';

/**
 * The default contract: Monday–Friday from 08:00 America/New_York to 18:00 America/Los_Angeles, US federal
 * holidays (observed dates, whole days in America/New_York) off.
 *
 * `years` chooses how the holidays are stored in the spec:
 *  - omitted: a `holidayRules: [{ rule: 'us-federal' }]` entry, valid for every year (recommended to store);
 *  - an array of years, `{ from, to }` (inclusive), a year (a number ≥ 1000) or a count of years starting with
 *    the current year (a number < 1000): the observed dates are listed explicitly in `holidays` (auditable and
 *    editable), and only those years have holidays.
 */
export function defaultContractCalendarSpec(
  years?: readonly number[] | { from: number; to: number } | number,
): WeeklyCalendarSpec {
  const spec: WeeklyCalendarSpec = {
    version: 1,
    name: 'Default contract (Mon–Fri 08:00 ET – 18:00 PT, US federal holidays)',
    zone: DEFAULT_CONTRACT_START_ZONE,
    windows: [
      {
        days: ['MON', 'TUE', 'WED', 'THU', 'FRI'],
        start: { time: '08:00', zone: DEFAULT_CONTRACT_START_ZONE },
        end: { time: '18:00', zone: DEFAULT_CONTRACT_END_ZONE },
      },
    ],
  };
  if (years === undefined) {
    spec.holidayRules = [{ rule: 'us-federal', zone: DEFAULT_CONTRACT_START_ZONE }];
    return spec;
  }
  let list: number[];
  if (typeof years === 'number') {
    const now = new Date().getUTCFullYear();
    list =
      years >= 1000 ? [years] : Array.from({ length: Math.max(0, Math.floor(years)) }, (_, i) => now + i);
  } else if (Array.isArray(years)) list = [...(years as readonly number[])];
  else {
    const r = years as { from: number; to: number };
    list = [];
    for (let y = r.from; y <= r.to; y++) list.push(y);
  }
  const unique = [...new Set(list)].sort((a, b) => a - b);
  spec.holidays = unique.flatMap((y) => usFederalHolidays(y, y, { zone: DEFAULT_CONTRACT_START_ZONE }));
  return spec;
}

/** Always open (24×7). Zone only matters for "business day" questions. */
export function twentyFourSevenSpec(zone = 'UTC'): WeeklyCalendarSpec {
  return {
    version: 1,
    name: '24x7',
    zone,
    windows: [
      {
        days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'],
        start: { time: '00:00', zone },
        end: { time: '24:00', zone },
      },
    ],
  };
}
