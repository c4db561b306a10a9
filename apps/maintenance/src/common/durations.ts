import { OFFSET_PATTERN } from '@sladesk/contracts';

/** Milliseconds of an ISO-8601 duration of days, hours, minutes and seconds (`P3D`, `PT72H`, `PT30M`). */
export function durationMs(iso: string): number {
  if (!OFFSET_PATTERN.test(iso)) throw new Error(`not a duration: ${iso}`);
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso)!;
  const [d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  return (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
}

/** `PT72H` and `P3D` are the same offset: one spelling each, for reminder ids. */
export function canonicalOffset(iso: string): string {
  const total = durationMs(iso) / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
}
