/**
 * Stable error codes. They are part of the public contract: callers (REST layer, UI) switch on them,
 * so existing codes must never change meaning.
 */
export type BusinessTimeErrorCode =
  | 'CALENDAR.INVALID_SPEC'
  | 'CALENDAR.UNKNOWN_KIND'
  | 'CALENDAR.UNKNOWN_ZONE'
  | 'CALENDAR.MISSING_ZONE'
  | 'CALENDAR.INVALID_TIME'
  | 'CALENDAR.INVALID_DATE'
  | 'CALENDAR.INVALID_WEEKDAY'
  | 'CALENDAR.INVALID_END_DAY_OFFSET'
  | 'CALENDAR.END_BEFORE_START'
  | 'CALENDAR.UNKNOWN_HOLIDAY_RULE'
  | 'CALENDAR.INVALID_RANGE'
  | 'CALENDAR.OUT_OF_RANGE'
  | 'CALENDAR.EMPTY'
  | 'CALENDAR.NEVER_CLOSES'
  | 'ARGUMENT.INVALID_DATE'
  | 'ARGUMENT.INVALID_SECONDS'
  | 'ARGUMENT.INVALID_PAUSE'
  | 'DURATION.INVALID'
  | 'DURATION.NOMINAL_UNIT'
  | 'DURATION.NOT_WHOLE_SECONDS'
  | 'ICAL.INVALID'
  | 'ICAL.UNKNOWN_TZID'
  | 'ICAL.MISSING_ZONE'
  | 'ICAL.UNSUPPORTED';

/** One problem found in a calendar spec; `path` is a JSON-pointer-like path such as `windows[0].start.zone`. */
export interface SpecProblem {
  path: string;
  code: BusinessTimeErrorCode;
  message: string;
}

/** The only error type thrown on purpose by this library. Switch on `code`, never on `message`. */
export class BusinessTimeError extends Error {
  override readonly name = 'BusinessTimeError';
  readonly code: BusinessTimeErrorCode;
  /** Spec problems when the error comes from compiling an invalid spec (the first one gives `code`). */
  readonly problems: readonly SpecProblem[];

  constructor(code: BusinessTimeErrorCode, message: string, problems: readonly SpecProblem[] = []) {
    super(`${code}: ${message}`);
    this.code = code;
    this.problems = problems;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export function isBusinessTimeError(e: unknown, code?: BusinessTimeErrorCode): e is BusinessTimeError {
  return e instanceof BusinessTimeError && (code === undefined || e.code === code);
}
