import { DAY, formatDate, parseDate, parseTime } from './civil';
import type { BusinessTimeErrorCode, SpecProblem } from './errors';
import { WEEKDAYS, type Weekday } from './spec';
import { isValidZone, zoneTable } from './zone';

export const HOLIDAY_RULES = ['us-federal'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The zone used for "which day is it" questions and as the default holiday zone. */
export function referenceZoneOf(spec: unknown): string | undefined {
  if (!isObject(spec)) return undefined;
  if (typeof spec['zone'] === 'string') return spec['zone'];
  if (spec['kind'] === 'union' || spec['kind'] === 'intersection') {
    const cals = spec['calendars'];
    if (Array.isArray(cals)) {
      for (const c of cals) {
        const z = referenceZoneOf(c);
        if (z !== undefined) return z;
      }
    }
    return undefined;
  }
  const windows = spec['windows'];
  if (Array.isArray(windows)) {
    for (const w of windows) {
      if (isObject(w) && isObject(w['start']) && typeof w['start']['zone'] === 'string')
        return w['start']['zone'];
    }
  }
  return undefined;
}

interface Ctx {
  problems: SpecProblem[];
  /** Check cross-zone windows date by date over this range of day numbers (validateCalendarSpec only). */
  crossZoneDays?: [number, number];
}

function add(ctx: Ctx, path: string, code: BusinessTimeErrorCode, message: string): void {
  ctx.problems.push({ path, code, message });
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function checkZone(ctx: Ctx, path: string, zone: unknown, required: boolean): boolean {
  if (zone === undefined) {
    if (required) add(ctx, path, 'CALENDAR.MISSING_ZONE', `${path || 'zone'} is required`);
    return false;
  }
  if (!isValidZone(zone)) {
    add(
      ctx,
      path,
      'CALENDAR.UNKNOWN_ZONE',
      `unknown time zone ${JSON.stringify(zone)} at ${path} (expected an IANA name such as "America/New_York")`,
    );
    return false;
  }
  return true;
}

function checkZonedTime(
  ctx: Ctx,
  path: string,
  v: unknown,
  isEnd: boolean,
): { sec: number; zone: string } | undefined {
  if (!isObject(v)) {
    add(ctx, path, 'CALENDAR.INVALID_SPEC', `${path} must be an object { time: "HH:MM", zone: "Area/City" }`);
    return undefined;
  }
  const sec = parseTime(v['time'], isEnd);
  if (sec === undefined) {
    add(
      ctx,
      join(path, 'time'),
      'CALENDAR.INVALID_TIME',
      `${join(path, 'time')} must be "HH:MM" or "HH:MM:SS"${isEnd ? ' (or "24:00")' : ''}, got ${JSON.stringify(v['time'])}`,
    );
  }
  const zoneOk = checkZone(ctx, join(path, 'zone'), v['zone'], true);
  return sec !== undefined && zoneOk ? { sec, zone: v['zone'] as string } : undefined;
}

function checkWeekday(ctx: Ctx, path: string, v: unknown): v is Weekday {
  if (typeof v === 'string' && (WEEKDAYS as readonly string[]).includes(v)) return true;
  add(
    ctx,
    path,
    'CALENDAR.INVALID_WEEKDAY',
    `${path} must be one of ${WEEKDAYS.join(', ')}, got ${JSON.stringify(v)}`,
  );
  return false;
}

function checkWindow(ctx: Ctx, path: string, w: unknown, weekly: boolean): void {
  if (!isObject(w)) {
    add(ctx, path, 'CALENDAR.INVALID_SPEC', `${path} must be an object`);
    return;
  }
  let days: number[] = [];
  if (weekly) {
    const d = w['days'];
    if (!Array.isArray(d) || d.length === 0) {
      add(
        ctx,
        join(path, 'days'),
        'CALENDAR.INVALID_SPEC',
        `${join(path, 'days')} must be a non-empty array of weekdays`,
      );
    } else {
      d.forEach((x, i) => {
        if (checkWeekday(ctx, join(join(path, 'days'), i), x)) days.push(WEEKDAYS.indexOf(x));
      });
    }
  } else {
    days = [0, 1, 2, 3, 4, 5, 6];
  }
  const s = checkZonedTime(ctx, join(path, 'start'), w['start'], false);
  const e = checkZonedTime(ctx, join(path, 'end'), w['end'], true);
  const k = w['endDayOffset'];
  if (k !== undefined && !(typeof k === 'number' && Number.isInteger(k) && k >= 0 && k <= 7)) {
    add(
      ctx,
      join(path, 'endDayOffset'),
      'CALENDAR.INVALID_END_DAY_OFFSET',
      `${join(path, 'endDayOffset')} must be an integer 0..7`,
    );
    return;
  }
  if (!s || !e) return;
  const kk = k === undefined ? (e.sec > s.sec ? 0 : 1) : k;
  if (s.zone === e.zone) {
    if (kk === 0 && e.sec <= s.sec) {
      add(
        ctx,
        path,
        'CALENDAR.END_BEFORE_START',
        `${path} ends (${(w['end'] as Record<string, unknown>)['time']}) at or before it starts (${(w['start'] as Record<string, unknown>)['time']}) on the same day in ${s.zone}; omit endDayOffset (or set 1) for an overnight window`,
      );
    }
    return;
  }
  if (ctx.crossZoneDays) {
    const zs = zoneTable(s.zone);
    const ze = zoneTable(e.zone);
    const [d0, d1] = ctx.crossZoneDays;
    for (let D = d0; D <= d1; D++) {
      if (!days.includes((((D + 3) % 7) + 7) % 7)) continue;
      const S = zs.localToUtc(D * DAY + s.sec);
      const E = ze.localToUtc((D + kk) * DAY + e.sec);
      if (E < S) {
        add(
          ctx,
          path,
          'CALENDAR.END_BEFORE_START',
          `${path} (${s.zone} → ${e.zone}) ends before it starts on ${formatDate(D)}; set endDayOffset`,
        );
        return;
      }
    }
  }
}

function checkHoliday(ctx: Ctx, path: string, h: unknown, zoneKnown: boolean): void {
  if (!isObject(h)) {
    add(
      ctx,
      path,
      'CALENDAR.INVALID_SPEC',
      `${path} must be an object { date: "YYYY-MM-DD", zone?, start?, end?, endDate? }`,
    );
    return;
  }
  const d = parseDate(h['date']);
  if (d === undefined)
    add(
      ctx,
      join(path, 'date'),
      'CALENDAR.INVALID_DATE',
      `${join(path, 'date')} must be a real date "YYYY-MM-DD", got ${JSON.stringify(h['date'])}`,
    );
  let ed = d;
  if (h['endDate'] !== undefined) {
    ed = parseDate(h['endDate']);
    if (ed === undefined)
      add(
        ctx,
        join(path, 'endDate'),
        'CALENDAR.INVALID_DATE',
        `${join(path, 'endDate')} must be a real date "YYYY-MM-DD", got ${JSON.stringify(h['endDate'])}`,
      );
  }
  const s = h['start'] === undefined ? 0 : parseTime(h['start'], false);
  if (s === undefined)
    add(
      ctx,
      join(path, 'start'),
      'CALENDAR.INVALID_TIME',
      `${join(path, 'start')} must be "HH:MM" or "HH:MM:SS", got ${JSON.stringify(h['start'])}`,
    );
  const e = h['end'] === undefined ? DAY : parseTime(h['end'], true);
  if (e === undefined)
    add(
      ctx,
      join(path, 'end'),
      'CALENDAR.INVALID_TIME',
      `${join(path, 'end')} must be "HH:MM", "HH:MM:SS" or "24:00", got ${JSON.stringify(h['end'])}`,
    );
  if (h['zone'] !== undefined) checkZone(ctx, join(path, 'zone'), h['zone'], true);
  else if (!zoneKnown)
    add(
      ctx,
      join(path, 'zone'),
      'CALENDAR.MISSING_ZONE',
      `${join(path, 'zone')} is required when the calendar has no zone`,
    );
  if (
    d !== undefined &&
    ed !== undefined &&
    s !== undefined &&
    e !== undefined &&
    ed * DAY + e <= d * DAY + s
  ) {
    add(ctx, path, 'CALENDAR.END_BEFORE_START', `${path} ends at or before it starts`);
  }
}

function checkCalendar(ctx: Ctx, path: string, spec: unknown, depth: number): void {
  if (!isObject(spec)) {
    add(ctx, path, 'CALENDAR.INVALID_SPEC', `${path || 'spec'} must be an object`);
    return;
  }
  if (depth > 16) {
    add(ctx, path, 'CALENDAR.INVALID_SPEC', `${path} nests calendars too deeply`);
    return;
  }
  if (spec['version'] !== undefined && spec['version'] !== 1) {
    add(ctx, join(path, 'version'), 'CALENDAR.INVALID_SPEC', `${join(path, 'version')} must be 1`);
  }
  if (spec['zone'] !== undefined) checkZone(ctx, join(path, 'zone'), spec['zone'], true);
  const kind = spec['kind'];
  if (kind === 'union' || kind === 'intersection') {
    const cals = spec['calendars'];
    if (!Array.isArray(cals) || cals.length === 0) {
      add(
        ctx,
        join(path, 'calendars'),
        'CALENDAR.INVALID_SPEC',
        `${join(path, 'calendars')} must be a non-empty array of calendar specs`,
      );
    } else {
      cals.forEach((c, i) => checkCalendar(ctx, join(join(path, 'calendars'), i), c, depth + 1));
    }
  } else if (kind === undefined || kind === 'weekly') {
    const windows = spec['windows'];
    if (!Array.isArray(windows)) {
      add(
        ctx,
        join(path, 'windows'),
        'CALENDAR.INVALID_SPEC',
        `${join(path, 'windows')} must be an array (may be empty)`,
      );
    } else {
      windows.forEach((w, i) => checkWindow(ctx, join(join(path, 'windows'), i), w, true));
    }
    const exc = spec['exceptions'];
    if (exc !== undefined) {
      if (!Array.isArray(exc)) {
        add(
          ctx,
          join(path, 'exceptions'),
          'CALENDAR.INVALID_SPEC',
          `${join(path, 'exceptions')} must be an array`,
        );
      } else {
        exc.forEach((x, i) => {
          const p = join(join(path, 'exceptions'), i);
          if (!isObject(x)) {
            add(ctx, p, 'CALENDAR.INVALID_SPEC', `${p} must be an object { date, windows?, like? }`);
            return;
          }
          if (parseDate(x['date']) === undefined)
            add(
              ctx,
              join(p, 'date'),
              'CALENDAR.INVALID_DATE',
              `${join(p, 'date')} must be a real date "YYYY-MM-DD", got ${JSON.stringify(x['date'])}`,
            );
          if (x['like'] !== undefined) checkWeekday(ctx, join(p, 'like'), x['like']);
          const ws = x['windows'];
          if (ws !== undefined) {
            if (!Array.isArray(ws))
              add(ctx, join(p, 'windows'), 'CALENDAR.INVALID_SPEC', `${join(p, 'windows')} must be an array`);
            else ws.forEach((w, j) => checkWindow(ctx, join(join(p, 'windows'), j), w, false));
          }
        });
      }
    }
  } else {
    add(
      ctx,
      join(path, 'kind'),
      'CALENDAR.UNKNOWN_KIND',
      `${join(path, 'kind')} must be "weekly", "union" or "intersection", got ${JSON.stringify(kind)}`,
    );
    return;
  }
  const zoneKnown = referenceZoneOf(spec) !== undefined;
  const hol = spec['holidays'];
  if (hol !== undefined) {
    if (!Array.isArray(hol))
      add(ctx, join(path, 'holidays'), 'CALENDAR.INVALID_SPEC', `${join(path, 'holidays')} must be an array`);
    else hol.forEach((h, i) => checkHoliday(ctx, join(join(path, 'holidays'), i), h, zoneKnown));
  }
  const rules = spec['holidayRules'];
  if (rules !== undefined) {
    if (!Array.isArray(rules)) {
      add(
        ctx,
        join(path, 'holidayRules'),
        'CALENDAR.INVALID_SPEC',
        `${join(path, 'holidayRules')} must be an array`,
      );
    } else {
      rules.forEach((r, i) => {
        const p = join(join(path, 'holidayRules'), i);
        if (!isObject(r) || !(HOLIDAY_RULES as readonly unknown[]).includes(r['rule'])) {
          add(
            ctx,
            join(p, 'rule'),
            'CALENDAR.UNKNOWN_HOLIDAY_RULE',
            `${join(p, 'rule')} must be one of ${HOLIDAY_RULES.join(', ')}`,
          );
          return;
        }
        if (r['zone'] !== undefined) checkZone(ctx, join(p, 'zone'), r['zone'], true);
        else if (!zoneKnown)
          add(
            ctx,
            join(p, 'zone'),
            'CALENDAR.MISSING_ZONE',
            `${join(p, 'zone')} is required when the calendar has no zone`,
          );
      });
    }
  }
}

/** @internal validation used by compileCalendar (cross-zone windows are checked date by date while compiling). */
export function collectProblems(spec: unknown, crossZoneDays?: [number, number]): SpecProblem[] {
  const ctx: Ctx = { problems: [], crossZoneDays };
  checkCalendar(ctx, '', spec, 0);
  return ctx.problems;
}

/**
 * Lists every problem of a (possibly untrusted, e.g. posted over REST) calendar spec without throwing.
 * Empty list = valid. Cross-zone windows are checked date by date from last year to ten years ahead.
 */
export function validateCalendarSpec(spec: unknown): SpecProblem[] {
  const y = new Date().getUTCFullYear();
  const d0 = Math.floor(Date.UTC(y - 1, 0, 1) / 1000 / DAY);
  const d1 = Math.floor(Date.UTC(y + 11, 0, 1) / 1000 / DAY);
  return collectProblems(spec, [d0, d1]);
}
