import { ObjectiveView } from '@sladesk/contracts';
import { monthRange, ledgerMonths, monthKeyOf } from './month';
import { availabilityFigures, availabilitySummary, deadlineOf, ExclusionFact, IncidentFact, restorationFigures, restorationSummary } from './objective-math';

const at = (s: string) => Date.parse(s);
const MIN = 60_000;

const availability = (over: Partial<ObjectiveView> = {}): ObjectiveView => ({
  id: 'a',
  kind: 'availability',
  targetPercent: 99.9,
  timeZone: 'UTC',
  excludes: ['scheduled_maintenance'],
  countsFrom: [],
  degradedWeightBasisPoints: 5000,
  availabilityCredits: [
    { belowPercent: 99.9, creditBasisPoints: 1000 },
    { belowPercent: 99, creditBasisPoints: 2500 },
  ],
  creditCapBasisPoints: 10_000,
  ...over,
});

const incident = (id: string, s: string, e: string | undefined, over: Partial<IncidentFact> = {}): IncidentFact => ({
  id,
  r: 1,
  direct: true,
  via: [],
  impact: 'outage',
  s: at(s),
  i: at(s),
  ...(e ? { e: at(e) } : {}),
  ...over,
});

describe('objective arithmetic', () => {
  it('months in a zone: New York March 2026 starts at 05:00Z and ends at 04:00Z (DST began on the 8th)', () => {
    expect(monthRange('2026-03', 'America/New_York')).toEqual({ start: at('2026-03-01T05:00:00Z'), end: at('2026-04-01T04:00:00Z') });
    expect(monthRange('2026-02', 'UTC')).toEqual({ start: at('2026-02-01T00:00:00Z'), end: at('2026-03-01T00:00:00Z') });
    expect(monthKeyOf(at('2026-03-01T04:59:59Z'), 'America/New_York')).toBe('2026-02');
    expect(ledgerMonths(at('2026-01-31T23:30:00Z'), at('2026-02-01T00:45:00Z'))).toEqual(['2026-01', '2026-02']);
    expect(ledgerMonths(at('2026-01-15T00:00:00Z'), at('2026-01-16T00:00:00Z'))).toEqual(['2026-01']);
  });

  it('an incident across a month end counts 30 min in January and 45 min in February', () => {
    const o = availability();
    const f = [incident('x', '2026-01-31T23:30:00Z', '2026-02-01T00:45:00Z')];
    const jan = availabilityFigures(o, availabilitySummary(o, '2026-01', f, []), at('2026-03-02T00:00:00Z'));
    const feb = availabilityFigures(o, availabilitySummary(o, '2026-02', f, []), at('2026-03-02T00:00:00Z'));
    // January: 31 × 1440 = 44,640 min, budget 44.64 min; February: 28 × 1440 = 40,320 min, budget 40.32 min
    expect(jan.downtimeMs).toBe(30 * MIN);
    expect(jan.budgetMs).toBeCloseTo(44.64 * MIN, 6);
    expect(jan.met).toBe(true);
    expect(jan.availabilityPercent).toBeCloseTo(((44_640 - 30) / 44_640) * 100, 9);
    expect(jan.creditBp).toBe(0);
    expect(feb.downtimeMs).toBe(45 * MIN);
    expect(feb.met).toBe(false);
    expect(feb.availabilityPercent).toBeCloseTo(((40_320 - 45) / 40_320) * 100, 9); // 99.8884 % < 99.9
    expect(feb.creditBp).toBe(1000);
  });

  it('overlaps are merged, exclusions removed, degraded minutes weighted', () => {
    const o = availability();
    const f = [
      incident('deg', '2026-07-01T00:00:00Z', '2026-07-01T01:00:00Z', { impact: 'degraded' }),
      incident('out', '2026-07-01T00:30:00Z', '2026-07-01T00:50:00Z'),
      incident('out2', '2026-07-01T00:40:00Z', '2026-07-01T00:45:00Z'),
    ];
    const x: ExclusionFact[] = [{ id: 'mw', r: 1, k: 'scheduled_maintenance', s: at('2026-07-01T00:55:00Z'), e: at('2026-07-01T02:00:00Z') }];
    const s = availabilitySummary(o, '2026-07', f, x);
    // 00:00–00:30 degraded ½ → 15; 00:30–00:50 outage → 20; 00:50–00:55 degraded → 2.5; 00:55 on excluded
    expect(availabilityFigures(o, s, at('2026-08-01T00:00:00Z')).downtimeMs).toBe(37.5 * MIN);
    expect(s.excludedMs).toBe(65 * MIN);
  });

  it('an open incident exhausts a 43.2-minute budget 43.2 minutes in, less what the month already spent', () => {
    const o = availability();
    const f = [incident('old', '2026-04-02T10:00:00Z', '2026-04-02T10:10:00Z'), incident('now', '2026-04-10T12:00:00Z', undefined)];
    const s = availabilitySummary(o, '2026-04', f, []);
    // April: 30 days → budget 43.2 min; 10 min spent → 33.2 min after 12:00 = 12:33:12
    expect(s.budgetMs).toBe(43.2 * MIN);
    expect(s.breachAt).toBe(at('2026-04-10T12:33:12Z'));
    expect(s.breachIncidentId).toBe('now');
    const before = availabilityFigures(o, s, at('2026-04-10T12:30:00Z'));
    expect(before.downtimeMs).toBe(40 * MIN);
    expect(before.budgetLeftMs).toBeCloseTo(3.2 * MIN, 6);
    expect(before.met).toBe(true);
    expect(availabilityFigures(o, s, at('2026-04-10T12:34:00Z')).met).toBe(false);
  });

  it('a 100 % objective: any downtime breaches at once and credits the first tier', () => {
    const o = availability({ targetPercent: 100, availabilityCredits: [{ belowPercent: 100, creditBasisPoints: 1000 }, { belowPercent: 99, creditBasisPoints: 2500 }] });
    const s = availabilitySummary(o, '2026-06', [incident('p', '2026-06-10T08:00:00Z', '2026-06-10T08:20:00Z')], []);
    expect(s.breachAt).toBe(at('2026-06-10T08:00:00Z'));
    const fig = availabilityFigures(o, s, at('2026-07-01T00:00:00Z'));
    expect(fig.met).toBe(false);
    expect(fig.creditBp).toBe(1000);
  });

  it('restoration within one hour: 61 minutes is late by one (credit), 59 is not', () => {
    const o: ObjectiveView = {
      id: 'r',
      kind: 'restoration',
      maxDuration: 'PT1H',
      timeZone: 'UTC',
      excludes: ['scheduled_maintenance'],
      countsFrom: [],
      degradedWeightBasisPoints: 5000,
      restorationCredits: [{ overMinutes: 0, creditBasisPoints: 1000 }],
      creditCapBasisPoints: 10_000,
    };
    const f = [incident('late', '2026-05-01T10:00:00Z', '2026-05-01T11:01:00Z'), incident('ok', '2026-05-01T12:00:00Z', '2026-05-01T12:59:00Z')];
    const s = restorationSummary(o, '2026-05', f, []);
    expect(s.lateCount).toBe(1);
    expect(s.late.map((x) => x.id)).toEqual(['late']);
    expect(s.longestMs).toBe(61 * MIN);
    expect(restorationFigures(o, s, at('2026-06-01T00:00:00Z'))).toEqual({ lateCount: 1, longestMs: 61 * MIN, met: false, creditBp: 1000 });
    // a maintenance window after identification moves the deadline by its length
    expect(deadlineOf(at('2026-05-01T10:00:00Z'), 60 * MIN, [{ f: at('2026-05-01T10:30:00Z'), t: at('2026-05-01T10:45:00Z'), w: 1 }])).toBe(at('2026-05-01T11:15:00Z'));
  });
});
