import { expandRecurrence, extendRecurrence, planRecurrence } from './recurrence';

const iso = (d: Date) => d.toISOString();
const FAR = 400;

describe(expandRecurrence.name, () => {
  it('keeps every second Tuesday 02:00–04:00 America/New_York at 02:00 local across the March and November changes', () => {
    const occ = expandRecurrence({ rrule: 'FREQ=MONTHLY;BYDAY=2TU;COUNT=12', timeZone: 'America/New_York', start: '2025-01-14T02:00', end: '2025-01-14T04:00' }, FAR);
    expect(occ.map((o) => [iso(o.start), iso(o.end)]).slice(1, 3)).toEqual([
      ['2025-02-11T07:00:00.000Z', '2025-02-11T09:00:00.000Z'], // EST, -05:00
      ['2025-03-11T06:00:00.000Z', '2025-03-11T08:00:00.000Z'], // EDT from March 9 on
    ]);
    expect(iso(occ[9].start)).toBe('2025-10-14T06:00:00.000Z'); // still EDT
    expect(iso(occ[10].start)).toBe('2025-11-11T07:00:00.000Z'); // EST from November 2 on
    expect(occ).toHaveLength(12);
  });

  it('is the same whatever the process time zone (rrule 2.8 is not)', () => {
    const rule = { rrule: 'FREQ=WEEKLY;COUNT=3', timeZone: 'Europe/Berlin', start: '2025-03-23T01:00', end: '2025-03-23T03:00' };
    const before = process.env.TZ;
    const results = ['UTC', 'America/New_York', 'Asia/Tokyo'].map((tz) => {
      process.env.TZ = tz; // Node applies a changed TZ to Date at once
      try {
        return expandRecurrence(rule, FAR).map((o) => iso(o.start));
      } finally {
        if (before === undefined) delete process.env.TZ;
        else process.env.TZ = before;
      }
    });
    // Berlin changes on March 30 at 02:00: 01:00 that morning is still CET.
    for (const r of results) expect(r).toEqual(['2025-03-23T00:00:00.000Z', '2025-03-30T00:00:00.000Z', '2025-04-05T23:00:00.000Z']);
  });

  it('skips the exceptions (EXDATE)', () => {
    const occ = expandRecurrence(
      { rrule: 'FREQ=MONTHLY;BYDAY=2TU;COUNT=4', timeZone: 'America/New_York', start: '2025-01-14T02:00', end: '2025-01-14T04:00', exceptions: ['2025-02-11T02:00'] },
      FAR,
    );
    expect(occ.map((o) => iso(o.start))).toEqual(['2025-01-14T07:00:00.000Z', '2025-03-11T06:00:00.000Z', '2025-04-08T06:00:00.000Z']);
  });

  it('lasts as long on the wall clock: a window over the fall-back night ends at the local time given', () => {
    // 00:30–02:30 local: on November 2, 2025 that is three real hours.
    const occ = expandRecurrence({ rrule: 'FREQ=DAILY;COUNT=3', timeZone: 'America/New_York', start: '2025-11-01T00:30', end: '2025-11-01T02:30' }, FAR);
    expect(occ.map((o) => (o.end.getTime() - o.start.getTime()) / 3_600_000)).toEqual([2, 3, 2]);
    expect(iso(occ[1].end)).toBe('2025-11-02T07:30:00.000Z'); // 02:30 EST
  });

  it('skips an occurrence whose local start does not exist on the spring-forward day (RFC 5545)', () => {
    const occ = expandRecurrence({ rrule: 'FREQ=DAILY;COUNT=3', timeZone: 'America/New_York', start: '2025-03-08T02:30', end: '2025-03-08T03:30' }, FAR);
    expect(occ.map((o) => iso(o.start))).toEqual(['2025-03-08T07:30:00.000Z', '2025-03-10T06:30:00.000Z', '2025-03-11T06:30:00.000Z']);
  });

  it('stops at the horizon when the rule has no COUNT or UNTIL, and refuses bad rules with a code', () => {
    const occ = expandRecurrence({ rrule: 'FREQ=WEEKLY', timeZone: 'UTC', start: '2030-01-01T00:00', end: '2030-01-01T01:00' }, 31, new Date('2029-06-01T00:00:00Z'));
    expect(occ).toHaveLength(5); // Jan 1 … Jan 29: 31 days from the first start, not from now
    expect(() => expandRecurrence({ rrule: 'FREQ=WEEKLY;BYDAY=XX', timeZone: 'UTC', start: '2030-01-01T00:00', end: '2030-01-01T01:00' }, FAR)).toThrow(
      expect.objectContaining({ code: 'MAINTENANCE_WINDOW.INVALID_RECURRENCE' }),
    );
    expect(() => expandRecurrence({ rrule: 'FREQ=WEEKLY', timeZone: 'UTC', start: '2030-01-01T02:00', end: '2030-01-01T01:00' }, FAR)).toThrow(
      expect.objectContaining({ code: 'MAINTENANCE_WINDOW.INVALID_TIMES' }),
    );
  });

  it('rolls an open-ended rule forward: each extension continues exactly where the last one stopped', () => {
    const r = { rrule: 'FREQ=WEEKLY;BYDAY=TU', timeZone: 'America/New_York', start: '2030-01-01T02:00', end: '2030-01-01T04:00' };
    const first = planRecurrence(r, 31, new Date('2029-12-01T00:00:00Z'));
    expect(first.occurrences).toHaveLength(5);
    // 40 days later the horizon has moved 40 days: the next occurrences, none repeated, none skipped.
    const later = extendRecurrence(r, first.until, first.until + 40 * 86_400_000);
    const all = [...first.occurrences, ...later.occurrences].map((o) => o.start.getTime());
    expect(later.occurrences.length).toBeGreaterThanOrEqual(5);
    expect(all.slice(1).every((t, i) => t > all[i])).toBe(true);
    const whole = planRecurrence(r, 71, new Date('2029-12-01T00:00:00Z')).occurrences.map((o) => o.start.getTime());
    expect(all).toEqual(whole.filter((t) => t <= later.until));
    // Local 02:00 across the March change, in every extension.
    expect(later.occurrences.map((o) => o.start.toISOString()).find((s) => s.startsWith('2030-03-12'))).toBe('2030-03-12T06:00:00.000Z');
    expect(extendRecurrence(r, later.until, later.until).occurrences).toHaveLength(0);
  });

  it('caps one expansion at 200 occurrences and says where it stopped, so the next one goes on from there', () => {
    const r = { rrule: 'FREQ=DAILY', timeZone: 'UTC', start: '2030-01-01T00:00', end: '2030-01-01T01:00' };
    const first = planRecurrence(r, 300, new Date('2029-12-31T00:00:00Z'));
    expect(first.occurrences).toHaveLength(200);
    expect(first.until).toBe(first.occurrences[199].start.getTime());
    const next = extendRecurrence(r, first.until, Date.parse('2030-12-31T12:00:00Z'));
    expect(next.occurrences[0].start.toISOString()).toBe('2030-07-20T00:00:00.000Z'); // the 201st day
    expect(next.occurrences).toHaveLength(165);
  });
});
