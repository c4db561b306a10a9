/**
 * Fixed histogram buckets for durations in seconds, shared by every counter document, so buckets of
 * any days, accounts and severities add up. Bucket `i` counts values in (BOUNDS[i-1], BOUNDS[i]]; the
 * last one everything above 30 days.
 */
export const BOUNDS: readonly number[] = [
  60, 300, 600, 900, 1800, 2700, 3600, 5400, 7200, 10_800, 14_400, 18_000, 21_600, 28_800, 36_000, 43_200,
  57_600, 72_000, 86_400, 115_200, 144_000, 172_800, 259_200, 345_600, 432_000, 604_800, 1_209_600, 2_592_000,
  Number.POSITIVE_INFINITY,
];

export const bucketOf = (seconds: number): number => {
  const s = Math.max(0, seconds);
  for (let i = 0; i < BOUNDS.length; i++) if (s <= BOUNDS[i]) return i;
  return BOUNDS.length - 1;
};

export type Histogram = Record<string, number>;

/** Adds histograms (as stored: bucket index → count). */
export function addHistograms(into: Histogram, from: Histogram | undefined): Histogram {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
  return into;
}

/**
 * Nearest-rank percentile read from the buckets: the upper bound of the bucket holding the
 * ⌈p·n⌉-th smallest value. Exact whenever values sit on bucket bounds; otherwise an upper bound
 * ("p90 ≤ 4 h"). Null without values, Infinity when it falls in the open last bucket.
 */
export function percentile(h: Histogram | undefined, p: number): number | null {
  const counts = BOUNDS.map((_, i) => Math.max(0, h?.[String(i)] ?? 0));
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(p * n));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return BOUNDS[i];
  }
  return BOUNDS[BOUNDS.length - 1];
}

/** `4 h`, `1 h 30 min`, `2 d 4 h`, `> 30 d` — durations as executives read them. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  if (!Number.isFinite(seconds)) return '> 30 d';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', m && !d ? `${m} min` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : '0 min';
}
