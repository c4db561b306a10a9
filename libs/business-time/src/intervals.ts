/**
 * Interval-set algebra on flat arrays [s0, e0, s1, e1, …] of half-open UTC-second intervals.
 * "Normalised" = sorted, non-empty, non-overlapping and non-adjacent (e_i < s_{i+1}).
 */
const { max, min } = Math; // local aliases: global lookups are slow inside jest's vm sandbox

/** Sorts (if needed) and merges overlapping or touching intervals; drops empty ones. */
export function normalise(flat: number[]): number[] {
  const n = flat.length >> 1;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (flat[2 * i]! < flat[2 * i - 2]!) {
      sorted = false;
      break;
    }
  }
  let src = flat;
  if (!sorted) {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((x, y) => flat[2 * x]! - flat[2 * y]!);
    src = new Array<number>(2 * n);
    for (let i = 0; i < n; i++) {
      src[2 * i] = flat[2 * idx[i]!]!;
      src[2 * i + 1] = flat[2 * idx[i]! + 1]!;
    }
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = src[2 * i]!;
    const e = src[2 * i + 1]!;
    if (e <= s) continue;
    const m = out.length;
    if (m > 0 && s <= out[m - 1]!) {
      if (e > out[m - 1]!) out[m - 1] = e;
    } else {
      out.push(s, e);
    }
  }
  return out;
}

/** a ∪ b for normalised inputs. */
export function unite(a: number[], b: number[]): number[] {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let s: number;
    let e: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      s = a[i]!;
      e = a[i + 1]!;
      i += 2;
    } else {
      s = b[j]!;
      e = b[j + 1]!;
      j += 2;
    }
    const m = out.length;
    if (m > 0 && s <= out[m - 1]!) {
      if (e > out[m - 1]!) out[m - 1] = e;
    } else {
      out.push(s, e);
    }
  }
  return out;
}

/** a ∩ b for normalised inputs. */
export function intersect(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = max(a[i]!, b[j]!);
    const e = min(a[i + 1]!, b[j + 1]!);
    if (s < e) {
      const m = out.length;
      if (m > 0 && s <= out[m - 1]!) out[m - 1] = max(out[m - 1]!, e);
      else out.push(s, e);
    }
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out;
}

/** a \ b for normalised inputs. */
export function subtract(a: number[], b: number[]): number[] {
  if (b.length === 0) return a.slice();
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let s = a[i]!;
    const e = a[i + 1]!;
    while (j < b.length && b[j + 1]! <= s) j += 2;
    let k = j;
    while (k < b.length && b[k]! < e) {
      if (b[k]! > s) out.push(s, b[k]!);
      s = max(s, b[k + 1]!);
      if (s >= e) break;
      k += 2;
    }
    if (s < e) out.push(s, e);
  }
  return out;
}

/** a clipped to [from, to]. */
export function clip(a: number[], from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i += 2) {
    const s = max(a[i]!, from);
    const e = min(a[i + 1]!, to);
    if (s < e) out.push(s, e);
  }
  return out;
}
