/** Proleptic Gregorian civil-date arithmetic on day numbers (days since 1970-01-01). Pure integer maths. */
const { floor } = Math; // local aliases: global lookups are slow inside jest's vm sandbox

export const DAY = 86400;

/** Days since 1970-01-01 for a civil date (H. Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
  const mp = floor((5 * doy + 2) / 153);
  const d = doy - floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** ISO weekday index of a day number: 0 = Monday … 6 = Sunday. */
export function weekdayIndex(day: number): number {
  return (((day + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday (index 3)
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` to a day number, or returns undefined when malformed or not a real date. */
export function parseDate(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const y = +m[1]!;
  const mo = +m[2]!;
  const d = +m[3]!;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  const day = daysFromCivil(y, mo, d);
  const back = civilFromDays(day);
  return back.m === mo && back.d === d ? day : undefined;
}

export function formatDate(day: number): string {
  const { y, m, d } = civilFromDays(day);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Parses `HH:MM[:SS]` to seconds after midnight; `24:00[:00]` only when `allow24`. */
export function parseTime(s: unknown, allow24: boolean): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = TIME_RE.exec(s);
  if (!m) return undefined;
  const h = +m[1]!;
  const mi = +m[2]!;
  const se = m[3] === undefined ? 0 : +m[3];
  if (mi > 59 || se > 59) return undefined;
  if (h === 24) return allow24 && mi === 0 && se === 0 ? DAY : undefined;
  if (h > 23) return undefined;
  return h * 3600 + mi * 60 + se;
}

export function yearOfEpochSeconds(t: number): number {
  return civilFromDays(floor(t / DAY)).y;
}
