/**
 * Holidays from iCalendar (RFC 5545) text: the VEVENT subset holiday feeds use.
 * Supported: DTSTART/DTEND as DATE (all-day, DTEND exclusive), DATE-TIME in UTC (`Z`), with TZID (IANA name)
 * or floating; DURATION instead of DTEND; SUMMARY; STATUS:CANCELLED (skipped); line folding and text escapes;
 * RRULE with FREQ=YEARLY and INTERVAL/COUNT/UNTIL, one BYMONTH, one BYMONTHDAY or one ordinal BYDAY
 * (e.g. `BYMONTH=11;BYDAY=4TH`); EXDATE. Everything else that changes which days are off (other RRULEs, RDATE,
 * RECURRENCE-ID) throws ICAL.UNSUPPORTED rather than being silently wrong. VTIMEZONE blocks are ignored:
 * TZIDs must be IANA names (ICAL.UNKNOWN_TZID otherwise).
 */
import { DAY, civilFromDays, daysFromCivil, formatDate, weekdayIndex } from './civil';
import { BusinessTimeError } from './errors';
import { parseIsoDuration } from './duration';
import type { HolidaySpec } from './spec';
import { isValidZone, zoneTable } from './zone';

export interface ICalendarImportOptions {
  /** Zone for all-day and floating events; when omitted those holidays get no zone (the calendar's applies). */
  zone?: string;
  /** Recurring events are expanded for these years (inclusive); default: the event's first year … this year + 10. */
  fromYear?: number;
  toYear?: number;
}

interface Prop {
  name: string;
  params: Record<string, string>;
  value: string;
  line: number;
}

interface When {
  day: number;
  /** seconds after midnight; undefined for DATE values */
  sec?: number;
  /** 'UTC', a TZID, or undefined (floating / all-day) */
  zone?: string;
}

function fail(
  code: 'ICAL.INVALID' | 'ICAL.UNSUPPORTED' | 'ICAL.UNKNOWN_TZID',
  line: number,
  msg: string,
): never {
  throw new BusinessTimeError(code, `line ${line}: ${msg}`);
}

function unfold(text: string): Array<{ text: string; line: number }> {
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  const out: Array<{ text: string; line: number }> = [];
  raw.forEach((l, i) => {
    if ((l.startsWith(' ') || l.startsWith('\t')) && out.length > 0) out[out.length - 1]!.text += l.slice(1);
    else if (l.trim() !== '') out.push({ text: l, line: i + 1 });
  });
  return out;
}

function parseLine(text: string, line: number): Prop {
  let i = 0;
  let inQuote = false;
  const pieces: string[] = [];
  let cur = '';
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') inQuote = !inQuote;
    if (!inQuote && (c === ';' || c === ':')) {
      pieces.push(cur);
      cur = '';
      if (c === ':') break;
      continue;
    }
    cur += c;
  }
  if (i >= text.length)
    fail('ICAL.INVALID', line, `malformed content line ${JSON.stringify(text.slice(0, 60))}`);
  const value = text.slice(i + 1);
  const name = pieces[0]!.toUpperCase();
  const params: Record<string, string> = {};
  for (const p of pieces.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return { name, params, value, line };
}

function unescapeText(v: string): string {
  return v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

function parseWhen(p: Prop): When {
  const v = p.value.trim();
  const isDate = p.params['VALUE']?.toUpperCase() === 'DATE' || /^\d{8}$/.test(v);
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(v);
  if (!m || (isDate && m[4] !== undefined))
    fail('ICAL.INVALID', p.line, `${p.name} has an invalid value ${JSON.stringify(v)}`);
  const day = daysFromCivil(+m[1]!, +m[2]!, +m[3]!);
  const back = civilFromDays(day);
  if (back.m !== +m[2]! || back.d !== +m[3]!)
    fail('ICAL.INVALID', p.line, `${p.name} is not a real date: ${v}`);
  if (isDate) return { day };
  const sec = +m[4]! * 3600 + +m[5]! * 60 + +m[6]!;
  if (+m[4]! > 23 || +m[5]! > 59 || +m[6]! > 60)
    fail('ICAL.INVALID', p.line, `${p.name} has an invalid time: ${v}`);
  if (m[7] === 'Z') return { day, sec: Math.min(sec, 86399), zone: 'UTC' };
  const tzid = p.params['TZID'];
  if (tzid !== undefined) {
    const z = tzid.replace(/^\//, '');
    if (!isValidZone(z))
      fail('ICAL.UNKNOWN_TZID', p.line, `TZID ${JSON.stringify(tzid)} is not an IANA time zone name`);
    return { day, sec: Math.min(sec, 86399), zone: z };
  }
  return { day, sec: Math.min(sec, 86399) };
}

function hms(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  const base = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
  return s ? `${base}:${String(s).padStart(2, '0')}` : base;
}

interface Occurrence {
  /** Holiday as local [startDay, startSec] → [endDay, endSec] in zone (endSec may be 86400). */
  startDay: number;
  startSec: number;
  endDay: number;
  endSec: number;
  zone?: string;
}

const BYDAY: Record<string, number> = { MO: 0, TU: 1, WE: 2, TH: 3, FR: 4, SA: 5, SU: 6 };

function expandYearly(
  rrule: Prop,
  first: number,
  exdates: Set<number>,
  fromYear: number,
  toYear: number,
): number[] {
  const parts: Record<string, string> = {};
  for (const kv of rrule.value.split(';')) {
    const [k, v] = kv.split('=');
    if (k && v !== undefined) parts[k.toUpperCase()] = v.toUpperCase();
  }
  const allowed = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYMONTH', 'BYMONTHDAY', 'BYDAY', 'WKST']);
  for (const k of Object.keys(parts)) {
    if (!allowed.has(k)) fail('ICAL.UNSUPPORTED', rrule.line, `RRULE part ${k} is not supported`);
  }
  if (parts['FREQ'] !== 'YEARLY')
    fail('ICAL.UNSUPPORTED', rrule.line, `only RRULE FREQ=YEARLY is supported, got ${parts['FREQ']}`);
  for (const k of ['BYMONTH', 'BYMONTHDAY', 'BYDAY']) {
    if (parts[k]?.includes(','))
      fail('ICAL.UNSUPPORTED', rrule.line, `RRULE ${k} with several values is not supported`);
  }
  const interval = parts['INTERVAL'] ? +parts['INTERVAL'] : 1;
  const count = parts['COUNT'] ? +parts['COUNT'] : Infinity;
  if (!(interval >= 1) || !(count >= 1))
    fail('ICAL.INVALID', rrule.line, 'RRULE INTERVAL and COUNT must be positive integers');
  let until = Infinity;
  if (parts['UNTIL']) {
    const m = /^(\d{4})(\d{2})(\d{2})/.exec(parts['UNTIL']);
    if (!m) fail('ICAL.INVALID', rrule.line, `RRULE UNTIL is invalid: ${parts['UNTIL']}`);
    until = daysFromCivil(+m[1]!, +m[2]!, +m[3]!);
  }
  const f = civilFromDays(first);
  const month = parts['BYMONTH'] ? +parts['BYMONTH'] : f.m;
  if (!(month >= 1 && month <= 12)) fail('ICAL.INVALID', rrule.line, 'RRULE BYMONTH must be 1..12');
  let nth: number | undefined;
  let wd: number | undefined;
  if (parts['BYDAY']) {
    const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(parts['BYDAY']);
    if (!m || m[1] === undefined)
      fail(
        'ICAL.UNSUPPORTED',
        rrule.line,
        `RRULE BYDAY=${parts['BYDAY']} is not supported (an ordinal such as 4TH or -1MO is required)`,
      );
    nth = +m[1];
    wd = BYDAY[m[2]!]!;
    if (nth === 0 || Math.abs(nth) > 5)
      fail('ICAL.INVALID', rrule.line, `RRULE BYDAY ordinal out of range: ${parts['BYDAY']}`);
  }
  const mday = parts['BYMONTHDAY'] ? +parts['BYMONTHDAY'] : f.d;
  const out: number[] = [];
  let n = 0;
  for (let y = f.y; y <= toYear && n < count; y += interval) {
    let day: number | undefined;
    if (nth !== undefined && wd !== undefined) {
      if (nth > 0) {
        const d1 = daysFromCivil(y, month, 1);
        day = d1 + ((wd - weekdayIndex(d1) + 7) % 7) + 7 * (nth - 1);
      } else {
        const last = (month === 12 ? daysFromCivil(y + 1, 1, 1) : daysFromCivil(y, month + 1, 1)) - 1;
        day = last - ((weekdayIndex(last) - wd + 7) % 7) + 7 * (nth + 1);
      }
      if (civilFromDays(day).m !== month) day = undefined;
    } else {
      const d = mday > 0 ? daysFromCivil(y, month, mday) : undefined;
      day = d !== undefined && civilFromDays(d).d === mday ? d : undefined;
    }
    if (day === undefined || day < first) continue;
    if (day > until) break;
    n++;
    if (y >= fromYear && !exdates.has(day)) out.push(day);
  }
  return out;
}

/** Parses iCalendar text into HolidaySpecs (JSON, ready to put in a CalendarSpec's `holidays`). */
export function holidaysFromICalendar(text: string, options: ICalendarImportOptions = {}): HolidaySpec[] {
  if (typeof text !== 'string')
    throw new BusinessTimeError('ICAL.INVALID', 'iCalendar input must be a string');
  if (options.zone !== undefined && !isValidZone(options.zone)) {
    throw new BusinessTimeError('CALENDAR.UNKNOWN_ZONE', `unknown time zone ${JSON.stringify(options.zone)}`);
  }
  const lines = unfold(text).map((l) => parseLine(l.text, l.line));
  if (
    lines.length === 0 ||
    lines[0]!.name !== 'BEGIN' ||
    lines[0]!.value.trim().toUpperCase() !== 'VCALENDAR'
  ) {
    throw new BusinessTimeError(
      'ICAL.INVALID',
      'not an iCalendar document (it must start with BEGIN:VCALENDAR)',
    );
  }
  const stack: string[] = [];
  const events: Prop[][] = [];
  let current: Prop[] | undefined;
  for (const p of lines) {
    if (p.name === 'BEGIN') {
      const c = p.value.trim().toUpperCase();
      stack.push(c);
      if (c === 'VEVENT') current = [];
      continue;
    }
    if (p.name === 'END') {
      const c = p.value.trim().toUpperCase();
      if (stack.pop() !== c) fail('ICAL.INVALID', p.line, `END:${c} does not match the open component`);
      if (c === 'VEVENT' && current) {
        events.push(current);
        current = undefined;
      }
      continue;
    }
    if (current && stack[stack.length - 1] === 'VEVENT') current.push(p);
  }
  if (stack.length > 0)
    throw new BusinessTimeError('ICAL.INVALID', `unterminated component ${stack[stack.length - 1]}`);

  const thisYear = new Date().getUTCFullYear();
  const out: HolidaySpec[] = [];
  for (const ev of events) {
    const get = (n: string) => ev.find((p) => p.name === n);
    if (get('STATUS')?.value.trim().toUpperCase() === 'CANCELLED') continue;
    for (const n of ['RDATE', 'RECURRENCE-ID']) {
      const p = get(n);
      if (p) fail('ICAL.UNSUPPORTED', p.line, `${n} is not supported`);
    }
    const dtstart = get('DTSTART');
    if (!dtstart)
      throw new BusinessTimeError(
        'ICAL.INVALID',
        `VEVENT without DTSTART (${get('SUMMARY')?.value ?? 'no summary'})`,
      );
    const start = parseWhen(dtstart);
    const name = get('SUMMARY') ? unescapeText(get('SUMMARY')!.value) : undefined;
    const zone = start.zone ?? options.zone;
    const occ: Occurrence = {
      startDay: start.day,
      startSec: start.sec ?? 0,
      endDay: start.day,
      endSec: DAY,
      zone,
    };
    const dtend = get('DTEND');
    const dur = get('DURATION');
    if (start.sec === undefined) {
      if (dtend) {
        const e = parseWhen(dtend);
        if (e.sec !== undefined)
          fail('ICAL.INVALID', dtend.line, 'DTEND must be a DATE when DTSTART is a DATE');
        occ.endDay = e.day - 1;
      } else if (dur) {
        const s = parseIsoDuration(dur.value.trim());
        if (s % DAY !== 0) fail('ICAL.INVALID', dur.line, 'an all-day event must last whole days');
        occ.endDay = start.day + s / DAY - 1;
      }
    } else {
      let endDay = start.day;
      let endSec = start.sec;
      if (dtend) {
        const e = parseWhen(dtend);
        if (e.sec === undefined)
          fail('ICAL.INVALID', dtend.line, 'DTEND must be a DATE-TIME when DTSTART is a DATE-TIME');
        if (e.zone !== start.zone && e.zone !== undefined && start.zone !== undefined) {
          const u = zoneTable(e.zone).localToUtc(e.day * DAY + e.sec);
          const local = zoneTable(start.zone).utcToLocal(u);
          endDay = Math.floor(local / DAY);
          endSec = local - endDay * DAY;
        } else {
          endDay = e.day;
          endSec = e.sec;
        }
      } else if (dur) {
        const s = parseIsoDuration(dur.value.trim());
        let local = start.day * DAY + start.sec + s;
        if (zone !== undefined)
          local = zoneTable(zone).utcToLocal(zoneTable(zone).localToUtc(start.day * DAY + start.sec) + s);
        endDay = Math.floor(local / DAY);
        endSec = local - endDay * DAY;
      }
      if (endSec === 0 && endDay > start.day) {
        endDay -= 1;
        endSec = DAY;
      }
      occ.endDay = endDay;
      occ.endSec = endSec;
    }
    if (occ.endDay * DAY + occ.endSec <= occ.startDay * DAY + occ.startSec) continue; // zero-length event
    let days = [occ.startDay];
    const rrule = get('RRULE');
    if (rrule) {
      const ex = new Set<number>();
      for (const p of ev.filter((q) => q.name === 'EXDATE')) {
        for (const v of p.value.split(',')) ex.add(parseWhen({ ...p, value: v }).day);
      }
      days = expandYearly(
        rrule,
        occ.startDay,
        ex,
        options.fromYear ?? -Infinity,
        options.toYear ?? thisYear + 10,
      );
    } else if (
      (options.fromYear !== undefined && civilFromDays(occ.startDay).y < options.fromYear) ||
      (options.toYear !== undefined && civilFromDays(occ.startDay).y > options.toYear)
    ) {
      days = [];
    }
    for (const d of days) {
      const shift = d - occ.startDay;
      const h: HolidaySpec = { date: formatDate(d) };
      if (occ.zone !== undefined) h.zone = occ.zone;
      if (occ.startSec !== 0) h.start = hms(occ.startSec);
      if (occ.endSec !== DAY) h.end = hms(occ.endSec);
      if (occ.endDay !== occ.startDay) h.endDate = formatDate(occ.endDay + shift);
      if (name !== undefined) h.name = name;
      out.push(h);
    }
  }
  return out.sort((a, b) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : (a.start ?? '').localeCompare(b.start ?? ''),
  );
}
