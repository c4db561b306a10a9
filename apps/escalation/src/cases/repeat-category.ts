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
