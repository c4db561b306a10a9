/** A case in the repeated-category window: its id and when it was received. */
export interface Received {
  id: string;
  at: number;
}

const before = (a: Received, b: Received) => a.at < b.at || (a.at === b.at && a.id <= b.id);

/**
 * "≥ N cases of one account and category within the window": the cases that reach the threshold,
 * counting each one with every case received in the window up to and including it. Only `me` and
 * cases received after it (within the window) can change when `me` arrives, whatever order cases
 * are heard of in: so the result is evaluated for them, and the last case heard of sees every count.
 */
export function repeatedCases(cases: readonly Received[], me: Received, windowMs: number, threshold: number): { id: string; count: number }[] {
  const all = [...new Map([...cases, me].map((c) => [c.id, c])).values()].sort((a, b) => (before(a, b) ? -1 : 1));
  const hits: { id: string; count: number }[] = [];
  for (const y of all) {
    if (!before(me, y) || y.at > me.at + windowMs) continue;
    const count = all.filter((x) => x.at >= y.at - windowMs && before(x, y)).length;
    if (count >= threshold) hits.push({ id: y.id, count });
  }
  return hits;
}

/** One day's set as counted (`CountedSets`): how many cases, the earliest ones by name, and where the listing stops. */
export interface DayCount {
  /** The UTC day, as a day number (ms / 86,400,000, floored). */
  day: number;
  n: number;
  /** Listed cases of the day (all of them received before `cut`). */
  head: readonly Received[];
  /** Unlisted cases are at or after it; `null`: they may be anywhere; absent: every case is listed. */
  cut?: Received | null;
}

const DAY_MS = 86_400_000;
const dayOf = (at: number) => Math.floor(at / DAY_MS);

/**
 * The counted form of `repeatedCases`, in whole UTC days: the count of a case received on day E is
 * the cases of days E − windowDays … E − 1 plus its rank among the cases of day E. Ranks are known
 * for listed cases before the day's `cut` (the earliest `HEAD_SIZE`); a case after it has at least
 * as many before it as are listed, so it reaches any threshold up to the head's size, and it is counted with every case of its day
 * (exact for the newest case: the usual one). Evaluated
 * for `me` and the listed cases after it that its arrival may have completed (only late-heard cases
 * have any), so the last case heard of sees every count, as before.
 */
export function repeatedCasesByDay(days: readonly DayCount[], me: Received, windowDays: number, threshold: number): { id: string; count: number }[] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const nOf = (day: number) => byDay.get(day)?.n ?? 0;
  const countOf = (y: Received): { lower: number; upper: number } => {
    const e = dayOf(y.at);
    let prev = 0;
    for (let d = e - windowDays; d < e; d++) prev += nOf(d);
    const today = byDay.get(e);
    const head = today?.head ?? [];
    const earlier = head.filter((x) => x.id !== y.id && before(x, y)).length;
    const exact = today?.cut === undefined || (today.cut !== null && before(y, today.cut) && y.id !== today.cut.id);
    const lower = prev + earlier + 1;
    return { lower, upper: exact ? lower : prev + Math.max(today?.n ?? 1, earlier + 1) };
  };
  const hits: { id: string; count: number }[] = [];
  const mine = countOf(me);
  // After the cut: counted with every case of its day (exact for the newest case, the usual one).
  if (mine.upper >= threshold) hits.push({ id: me.id, count: mine.upper });
  const first = dayOf(me.at);
  const later = days
    .filter((d) => d.day >= first && d.day <= first + windowDays)
    .flatMap((d) => d.head)
    .filter((y) => y.id !== me.id && before(me, y))
    .sort((a, b) => (before(a, b) ? -1 : 1));
  for (const y of later) {
    const { lower } = countOf(y);
    if (lower >= threshold) hits.push({ id: y.id, count: lower });
  }
  return hits;
}
