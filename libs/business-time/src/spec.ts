/**
 * JSON-serialisable calendar specification (stored in MongoDB, posted over REST).
 * Only plain objects, arrays, strings and numbers: `JSON.parse(JSON.stringify(spec))` is the same spec.
 */

/** ISO weekday names; a window's day is the date *in the zone of its start*. */
export type Weekday = 'MON' | 'TUE' | 'WED' | 'THU' | 'FRI' | 'SAT' | 'SUN';

export const WEEKDAYS: readonly Weekday[] = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

/** A wall-clock time in an IANA zone. `time` is `HH:MM` or `HH:MM:SS`; `24:00` is allowed for ends only. */
export interface ZonedTimeSpec {
  time: string;
  zone: string;
}

/**
 * One window: it opens at `start` on its day D and closes at `end` on day D + endDayOffset.
 * When `endDayOffset` is omitted it is 0 if end.time > start.time (as written) and 1 otherwise
 * (overnight, e.g. 22:00 → 06:00; equal times mean a 24-hour window).
 */
export interface WindowTimesSpec {
  start: ZonedTimeSpec;
  end: ZonedTimeSpec;
  /** Whole days between the start's date and the end's date, 0..7. */
  endDayOffset?: number;
}

export interface WeeklyWindowSpec extends WindowTimesSpec {
  days: Weekday[];
}

/**
 * Time off: from `start` (default 00:00) on `date` to `end` (default 24:00) on `endDate` (default `date`),
 * wall-clock in `zone` (default: the calendar's `zone`, else its reference zone).
 */
export interface HolidaySpec {
  date: string; // YYYY-MM-DD
  zone?: string;
  start?: string;
  end?: string;
  endDate?: string;
  name?: string;
}

/** Generated holidays, valid for any compiled range (so a stored spec never runs out of holidays). */
export interface HolidayRuleSpec {
  rule: 'us-federal';
  /** Zone the holiday dates are whole days in; default the calendar's zone / reference zone. */
  zone?: string;
}

/**
 * Date-specific exception: the weekly windows whose day is `date` are replaced by `windows`
 * (plus the weekly windows of weekday `like`, if given). `windows: []` without `like` closes the day.
 * Exception windows win over holidays (special hours on a holiday are worked).
 */
export interface ExceptionSpec {
  date: string;
  windows?: WindowTimesSpec[];
  like?: Weekday;
  name?: string;
}

interface CommonSpec {
  /** Schema version of the stored JSON. */
  version?: 1;
  name?: string;
  /** Default zone for holidays and the reference zone for "business day" (nextBusinessDayStart). */
  zone?: string;
  holidays?: HolidaySpec[];
  holidayRules?: HolidayRuleSpec[];
}

export interface WeeklyCalendarSpec extends CommonSpec {
  kind?: 'weekly';
  windows: WeeklyWindowSpec[];
  exceptions?: ExceptionSpec[];
}

/** Union: open when any member is open. Intersection: open when all members are open. Holidays apply after. */
export interface CombinedCalendarSpec extends CommonSpec {
  kind: 'union' | 'intersection';
  calendars: CalendarSpec[];
}

export type CalendarSpec = WeeklyCalendarSpec | CombinedCalendarSpec;

export function unionOf(...calendars: CalendarSpec[]): CombinedCalendarSpec {
  return { kind: 'union', calendars };
}

export function intersectionOf(...calendars: CalendarSpec[]): CombinedCalendarSpec {
  return { kind: 'intersection', calendars };
}

export function isCombinedSpec(spec: CalendarSpec): spec is CombinedCalendarSpec {
  return spec.kind === 'union' || spec.kind === 'intersection';
}
