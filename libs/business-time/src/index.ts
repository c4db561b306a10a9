/**
 * @sladesk/business-time — exact, fast business-time arithmetic over calendars spanning time zones.
 * Pure TypeScript, no I/O, no dependencies. See README.md for the semantics and the benchmark.
 */
export { BusinessTimeError, isBusinessTimeError } from './errors';
export type { BusinessTimeErrorCode, SpecProblem } from './errors';

export { WEEKDAYS, unionOf, intersectionOf } from './spec';
export type {
  CalendarSpec,
  WeeklyCalendarSpec,
  CombinedCalendarSpec,
  WeeklyWindowSpec,
  WindowTimesSpec,
  ZonedTimeSpec,
  HolidaySpec,
  HolidayRuleSpec,
  ExceptionSpec,
  Weekday,
} from './spec';

export { validateCalendarSpec } from './validate';
export { compileCalendar, CompiledCalendar, HORIZON_START, HORIZON_END } from './compile';
export type { CompileOptions } from './compile';

export {
  addBusinessSeconds,
  addBusinessMilliseconds,
  businessSecondsBetween,
  businessMillisecondsBetween,
  isOpen,
  nextOpen,
  nextClose,
  nextBusinessDayStart,
  startOfNextBusinessDay,
  openIntervals,
  addBusinessSecondsEpoch,
  businessSecondsBetweenEpoch,
} from './query';
export type { Pause, PauseOptions } from './query';

export { parseIsoDuration, formatIsoDuration } from './duration';
export { defaultContractCalendarSpec, twentyFourSevenSpec } from './presets';
export { usFederalHolidays, usFederalHolidayDates } from './holidays/us-federal';
export type { FederalHoliday } from './holidays/us-federal';
export { holidaysFromICalendar } from './ical';
export type { ICalendarImportOptions } from './ical';
export { isValidZone, clearZoneCache } from './zone';
