import { AppError, RecurrenceDto } from '@sladesk/contracts';
import { RRuleTemporal } from 'rrule-temporal';

export interface Occurrence {
  start: Date;
  end: Date;
}

const compact = (local: string) => local.replace(/[-:]/g, '').padEnd(15, '0').slice(0, 15); // YYYYMMDDTHHMMSS
const MAX_OCCURRENCES = 200;

/** The part of Temporal.ZonedDateTime used here (rrule-temporal bundles its own Temporal). */
interface Zoned {
  epochMilliseconds: number;
  timeZoneId: string;
  toPlainDateTime(): { add(d: { minutes: number }): { toZonedDateTime(tz: string): { epochMilliseconds: number } } };
}

/** Minutes between two local date-times on the wall clock (no zone involved). */
function wallMinutes(start: string, end: string): number {
  const ms = (s: string) => Date.parse(`${s.length === 16 ? `${s}:00` : s}Z`);
  return (ms(end) - ms(start)) / 60_000;
}

/**
 * The occurrences of a recurring window from its RRULE, in its time zone: each starts at the local
 * time the rule gives (02:00 America/New_York stays 02:00 there across daylight-saving changes) and
 * lasts as long on the wall clock as the first one. As RFC 5545 §3.3.10 prescribes, an occurrence whose
 * local start does not exist (02:30 on a spring-forward day) is skipped; a local start that happens twice
 * (01:30 on a fall-back day) takes the first. An end that falls into a gap moves forward by the gap.
 * At most 200 occurrences; a rule without COUNT or UNTIL stops `horizonDays` after its first start
 * (or after `now`, if later).
 */
export function expandRecurrence(r: RecurrenceDto, horizonDays: number, now = new Date()): Occurrence[] {
  return planRecurrence(r, horizonDays, now).occurrences;
}

/** What one expansion produced: its occurrences, and up to when the series is complete with them. */
export interface Expansion {
  occurrences: Occurrence[];
  /** Every occurrence starting at or before this instant (ms) is in this or an earlier expansion; Infinity for COUNT/UNTIL rules. */
  until: number;
}

export const isOpenEnded = (r: RecurrenceDto): boolean => !/(^|;)(COUNT|UNTIL)=/.test(r.rrule);

/** The first expansion of a rule (see `expandRecurrence`), with how far it reaches. */
export function planRecurrence(r: RecurrenceDto, horizonDays: number, now = new Date(), max = MAX_OCCURRENCES): Expansion {
  const from = Math.max(now.getTime(), Date.parse(`${r.start.slice(0, 16)}:00Z`) - 14 * 3_600_000);
  const horizon = isOpenEnded(r) ? from + horizonDays * 86_400_000 : Infinity;
  const expansion = occurrencesIn(r, -Infinity, horizon, max);
  if (expansion.occurrences.length === 0) throw new AppError('MAINTENANCE_WINDOW.INVALID_RECURRENCE', 'the rule has no occurrence before the horizon');
  return expansion;
}

/**
 * The occurrences of an open-ended rule after `afterMs` (exclusive) up to `horizonMs` (inclusive), at
 * most `max` (200): how the horizon rolls forward. The same inputs give the same occurrences.
 */
export function extendRecurrence(r: RecurrenceDto, afterMs: number, horizonMs: number, max = MAX_OCCURRENCES): Expansion {
  if (horizonMs <= afterMs) return { occurrences: [], until: afterMs };
  return occurrencesIn(r, afterMs, horizonMs, max);
}

function occurrencesIn(r: RecurrenceDto, afterMs: number, horizonMs: number, max: number): Expansion {
  max = Math.min(max, MAX_OCCURRENCES);
  const minutes = wallMinutes(r.start, r.end);
  if (!(minutes > 0)) throw new AppError('MAINTENANCE_WINDOW.INVALID_TIMES', 'recurrence.end must be after recurrence.start');
  const lines = [`DTSTART;TZID=${r.timeZone}:${compact(r.start)}`, `RRULE:${r.rrule}`];
  if (r.exceptions?.length) lines.push(`EXDATE;TZID=${r.timeZone}:${r.exceptions.map(compact).join(',')}`);
  let starts: Zoned[];
  try {
    const rule = new RRuleTemporal({ rruleString: lines.join('\n') });
    let kept = 0;
    // One more than we keep: whether the cap cut the expansion short.
    starts = rule.all((d) => d.epochMilliseconds <= horizonMs && (d.epochMilliseconds <= afterMs || ++kept <= max + 1)) as never;
  } catch (e) {
    throw new AppError('MAINTENANCE_WINDOW.INVALID_RECURRENCE', `recurrence is not a valid RRULE: ${(e as Error).message}`);
  }
  starts = starts.filter((s) => s.epochMilliseconds > afterMs);
  const capped = starts.length > max;
  if (capped) starts = starts.slice(0, max);
  const occurrences = starts.map((s) => {
    // The end on the wall clock, then resolved in the zone (so a 02:00–04:00 window ends at 04:00 local).
    const end = s.toPlainDateTime().add({ minutes }).toZonedDateTime(s.timeZoneId);
    return { start: new Date(s.epochMilliseconds), end: new Date(end.epochMilliseconds) };
  });
  return { occurrences, until: capped ? occurrences[occurrences.length - 1].start.getTime() : horizonMs };
}
