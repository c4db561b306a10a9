import { AppError, ReportPeriod, ReportQuery } from '@sladesk/contracts';

const MAX_MONTHS = 36;

export const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
export const monthStart = (month: string): string => `${month}-01`;
export function monthEnd(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}
export const nextMonth = (month: string): string => addDays(monthEnd(month), 1).slice(0, 7);
export const previousMonth = (month: string): string => addDays(monthStart(month), -1).slice(0, 7);

const bad = (message: string) => new AppError('REPORT.INVALID_PERIOD', message);

/** `month`, or `from`/`to` (inclusive UTC days; a missing end is filled in), or else the current month. */
export function resolvePeriod(q: Pick<ReportQuery, 'month' | 'from' | 'to'>, now = new Date()): ReportPeriod {
  if (q.month && (q.from || q.to)) throw bad('give either month or from/to, not both');
  if (q.month) return { from: monthStart(q.month), to: monthEnd(q.month), month: q.month };
  if (!q.from && !q.to) {
    const month = now.toISOString().slice(0, 7);
    return { from: monthStart(month), to: monthEnd(month), month };
  }
  const to = q.to ?? now.toISOString().slice(0, 10);
  const from = q.from ?? monthStart(to.slice(0, 7));
  for (const d of [from, to]) if (addDays(d, 0) !== d) throw bad(`${d} is not a calendar day`);
  if (from > to) throw bad(`from (${from}) is after to (${to})`);
  if (monthsOf({ from, to }).length > MAX_MONTHS) throw bad(`a period spans at most ${MAX_MONTHS} months`);
  const month = from === monthStart(from.slice(0, 7)) && to === monthEnd(from.slice(0, 7)) ? from.slice(0, 7) : undefined;
  return { from, to, ...(month ? { month } : {}) };
}

export function monthsOf(p: { from: string; to: string }): string[] {
  const out: string[] = [];
  for (let m = p.from.slice(0, 7); m <= p.to.slice(0, 7); m = nextMonth(m)) out.push(m);
  return out;
}

/** The buckets that cover a period exactly: whole months by their month bucket, the edges day by day. */
export function bucketPeriods(p: { from: string; to: string }): { month: string; periods: string[] }[] {
  return monthsOf(p).map((month) => {
    const first = monthStart(month) < p.from ? p.from : monthStart(month);
    const last = monthEnd(month) > p.to ? p.to : monthEnd(month);
    if (first === monthStart(month) && last === monthEnd(month)) return { month, periods: [month] };
    const days: string[] = [];
    for (let d = first; d <= last; d = addDays(d, 1)) days.push(d);
    return { month, periods: days };
  });
}

/** Instants bounding a period, for range reads over ISO strings. */
export const periodInstants = (p: { from: string; to: string }) => ({
  gte: `${p.from}T00:00:00.000Z`,
  lt: `${addDays(p.to, 1)}T00:00:00.000Z`,
});

export const periodLabel = (p: ReportPeriod): string => (p.month ? p.month : `${p.from} to ${p.to}`);
