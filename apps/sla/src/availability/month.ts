/**
 * Calendar months in a time zone, as UTC instants (ms). Months are what objectives are measured over:
 * `2026-03` in America/New_York is [2026-03-01T05:00Z, 2026-04-01T04:00Z).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a zone. */
function wall(ms: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year, mo: parts.month, d: parts.day, h: parts.hour, mi: parts.minute, s: parts.second };
}

const starts = new Map<string, number>();

/**
 * The first instant whose wall clock in `zone` reads y-m-01 or later (midnight, or the end of a DST gap
 * at midnight). A binary search over whole seconds within ±15 h of UTC midnight: zones are −12…+14 h.
 */
export function startOfMonth(y: number, m: number, zone: string): number {
  const k = `${key(y, m)}|${zone}`;
  const known = starts.get(k);
  if (known !== undefined) return known;
  const target = key(y, m);
  let lo = Math.floor((Date.UTC(y, m - 1, 1) - 15 * 3_600_000) / 1000);
  let hi = Math.floor((Date.UTC(y, m - 1, 1) + 15 * 3_600_000) / 1000);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (monthKeyOf(mid * 1000, zone) >= target) hi = mid;
    else lo = mid + 1;
  }
  if (starts.size > 10_000) starts.clear();
  starts.set(k, lo * 1000);
  return lo * 1000;
}

const key = (y: number, m: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;

export const parseMonth = (month: string): { y: number; m: number } => ({ y: Number(month.slice(0, 4)), m: Number(month.slice(5, 7)) });

export function nextMonth(month: string): string {
  const { y, m } = parseMonth(month);
  return m === 12 ? key(y + 1, 1) : key(y, m + 1);
}

export function previousMonth(month: string): string {
  const { y, m } = parseMonth(month);
  return m === 1 ? key(y - 1, 12) : key(y, m - 1);
}

/** [start, end) of a calendar month in a zone. */
export function monthRange(month: string, zone: string): { start: number; end: number } {
  const { y, m } = parseMonth(month);
  const n = parseMonth(nextMonth(month));
  return { start: startOfMonth(y, m, zone), end: startOfMonth(n.y, n.m, zone) };
}

/** The month an instant falls in, in a zone. */
export function monthKeyOf(ms: number, zone: string): string {
  const w = wall(ms, zone);
  return key(w.y, w.mo);
}

/**
 * Every zone's month M lies within the UTC month M widened by this much on both sides (offsets are
 * between −12 h and +14 h): the ledger keeps a component's facts per UTC month with this margin, so
 * one document serves every objective of the component whatever its zone.
 */
export const MONTH_MARGIN_MS = 14 * 3_600_000;

/** The UTC months whose widened range [start − margin, end + margin) meets [from, to]. */
export function ledgerMonths(from: number, to: number): string[] {
  const out: string[] = [];
  let month = monthKeyOf(from - MONTH_MARGIN_MS, 'UTC');
  const last = monthKeyOf(to + MONTH_MARGIN_MS, 'UTC');
  for (;;) {
    out.push(month);
    if (month === last || out.length > 1200) return out;
    month = nextMonth(month);
  }
}

/** When the ledger document of the month after `month` must exist for an incident still open (its widened start). */
export function carryAt(month: string): number {
  return monthRange(nextMonth(month), 'UTC').start - MONTH_MARGIN_MS;
}

export const isValidMonth = (month: string): boolean => /^\d{4}-(0[1-9]|1[0-2])$/.test(month);
