import { BusinessTimeError } from './errors';

const RE =
  /^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

// Y, M(onths), W, D, H, M(inutes), S
const UNIT_SECONDS = [0, 0, 7 * 86400, 86400, 3600, 60, 1];
const UNIT_NAMES = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'];

/**
 * Parses an ISO 8601 duration such as `PT4H`, `PT30M`, `P1DT2H`, `PT1.5H` into whole seconds.
 * Days are 24 h and weeks 7 days (exact durations, as SLA goals use them); years and months have no fixed
 * length and are rejected (DURATION.NOMINAL_UNIT). Only the last component may have a fraction, and the
 * total must be whole seconds (DURATION.NOT_WHOLE_SECONDS). Anything else: DURATION.INVALID.
 */
export function parseIsoDuration(input: string): number {
  if (typeof input !== 'string') {
    throw new BusinessTimeError(
      'DURATION.INVALID',
      `duration must be an ISO 8601 string such as "PT4H", got ${typeof input}`,
    );
  }
  const text = input.trim().toUpperCase();
  const m = RE.exec(text);
  if (!m || text === 'P' || text.endsWith('T') || m.slice(1).every((g) => g === undefined)) {
    throw new BusinessTimeError(
      'DURATION.INVALID',
      `invalid ISO 8601 duration ${JSON.stringify(input)} (expected e.g. "PT4H", "P1DT30M")`,
    );
  }
  const parts = m.slice(1);
  let lastIndex = -1;
  parts.forEach((g, i) => {
    if (g !== undefined) lastIndex = i;
  });
  let total = 0;
  for (let i = 0; i < parts.length; i++) {
    const g = parts[i];
    if (g === undefined) continue;
    const [intPart, frac = ''] = g.split(/[.,]/) as [string, string?];
    if (frac && i !== lastIndex) {
      throw new BusinessTimeError(
        'DURATION.INVALID',
        `invalid ISO 8601 duration ${JSON.stringify(input)}: only the last component may have a fraction`,
      );
    }
    const isZero = /^0*$/.test(intPart) && /^0*$/.test(frac);
    if ((i === 0 || i === 1) && !isZero) {
      throw new BusinessTimeError(
        'DURATION.NOMINAL_UNIT',
        `duration ${JSON.stringify(input)} uses ${UNIT_NAMES[i]}, which have no fixed length in seconds`,
      );
    }
    if (intPart.length + frac.length > 15) {
      throw new BusinessTimeError('DURATION.INVALID', `duration ${JSON.stringify(input)} is too large`);
    }
    const unit = UNIT_SECONDS[i]!;
    total += Number(intPart) * unit;
    if (frac) {
      const scale = 10 ** frac.length;
      const num = Number(frac) * unit;
      if (num % scale !== 0) {
        throw new BusinessTimeError(
          'DURATION.NOT_WHOLE_SECONDS',
          `duration ${JSON.stringify(input)} is not a whole number of seconds`,
        );
      }
      total += num / scale;
    }
  }
  if (!Number.isSafeInteger(total)) {
    throw new BusinessTimeError('DURATION.INVALID', `duration ${JSON.stringify(input)} is too large`);
  }
  return total;
}

/** Formats whole seconds as an ISO 8601 duration (`PT4H`, `P1DT30M`, `PT0S`). */
export function formatIsoDuration(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new BusinessTimeError(
      'DURATION.INVALID',
      `cannot format ${String(seconds)} as a duration (whole non-negative seconds expected)`,
    );
  }
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const mi = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  let out = 'P';
  if (d) out += `${d}D`;
  if (h || mi || s || !d) {
    out += 'T';
    if (h) out += `${h}H`;
    if (mi) out += `${mi}M`;
    if (s || (!h && !mi)) out += `${s}S`;
  }
  return out;
}
