import { openConnection } from '@sladesk/persistence';
import { testMongoUrl } from '@sladesk/testing';
import { Connection, Model } from 'mongoose';
import { repeatSet } from '../src/cases/case-projection.service';
import { Received, repeatedCases } from '../src/cases/repeat-category';
import { IdSets, IdSetSchema } from '../src/keyed/id-sets';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 2);

/** A deterministic shuffle (so a failure can be reproduced); seed 0: newest first. */
function shuffled(items: Received[], seed: number): Received[] {
  if (seed === 0) return [...items].sort((a, b) => b.at - a.at);
  const out = [...items];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The repeated-category rule reads one set per day of its window. Those sets keep only the threshold's
 * earliest and latest cases of each day, so a busy day's document stays small; the escalations the rule
 * decides must be the very ones it decides with every case kept, whatever order cases are heard in.
 */
describe('repeated-category day sets: bounded, and the rule judges as with every case kept', () => {
  let conn: Connection;
  let sets: IdSets;
  let model: Model<{ _id: string }>;

  beforeAll(async () => {
    conn = await openConnection({ url: testMongoUrl('esc_bounded_sets') });
    model = conn.model('EscIdSetBounded', IdSetSchema.clone(), 'esc_sets') as never;
    sets = new IdSets(model as never);
  });

  afterAll(async () => {
    await conn?.dropDatabase();
    await conn?.close();
  });

  // Busy stretches (many cases within hours) and quiet ones (a case every few days), over 20 days.
  const cases: Received[] = [
    ...Array.from({ length: 40 }, (_, i) => ({ id: `busy-${i}`, at: T0 + 3 * DAY + ((i * 7919) % 20) * 3_600_000 })),
    ...Array.from({ length: 6 }, (_, i) => ({ id: `quiet-${i}`, at: T0 + (i * 3 + 5) * DAY + 60_000 * i })),
    ...Array.from({ length: 25 }, (_, i) => ({ id: `late-${i}`, at: T0 + 14 * DAY + 1000 * i })),
  ];

  /** What the rule escalates when the cases are heard in `order`, reading the day sets as stored by `add`. */
  async function judge(order: Received[], windowDays: number, threshold: number, add: (set: string, c: Received) => Promise<void>, read: (set: string) => Promise<Received[]>) {
    const escalated = new Set<string>();
    for (const me of order) {
      await add(repeatSet('acme', 'billing', me.at), me);
      const days: string[] = [];
      for (let d = Math.floor((me.at - windowDays * DAY) / DAY) * DAY; d <= me.at + windowDays * DAY; d += DAY) days.push(repeatSet('acme', 'billing', d));
      const received = (await Promise.all(days.map(read))).flat();
      for (const hit of repeatedCases(received, me, windowDays * DAY, threshold)) escalated.add(hit.id);
    }
    return [...escalated].sort();
  }

  it.each([
    [1, 3, 1],
    [3, 3, 2],
    [7, 5, 3],
    [2, 3, 0],
  ])('window %i days, threshold %i (arrival order %i): the same escalations, at most 2 × threshold members a day', async (windowDays, threshold, seed) => {
    const prefix = `w${windowDays}t${threshold}s${seed}`;
    const full = new Map<string, Map<string, number>>();
    const expected = await judge(
      shuffled(cases, seed),
      windowDays,
      threshold,
      async (set, c) => {
        const m = full.get(set) ?? new Map<string, number>();
        m.set(c.id, c.at);
        full.set(set, m);
      },
      async (set) => [...(full.get(set) ?? new Map<string, number>())].map(([id, at]) => ({ id, at })),
    );
    const bounded = await judge(
      shuffled(cases, seed),
      windowDays,
      threshold,
      (set, c) => sets.addBounded(`${prefix}:${set}`, c.id, c.at, threshold),
      async (set) => [...(await sets.read(`${prefix}:${set}`)).members].map(([id, at]) => ({ id, at })),
    );
    expect(expected.length).toBeGreaterThan(threshold); // the fixture does exercise the rule
    expect(bounded).toEqual(expected);
    const stored = (await model.collection.find({ _id: { $regex: `^${prefix}:` } } as object).toArray()) as unknown as { _id: string; d: Record<string, object> }[];
    // One document per month (the fixture spans March 2026 only), each day's members bounded.
    expect(stored.map((d) => d._id)).toEqual([`${prefix}:repeat:acme:billing:2026-03`]);
    expect(Math.max(...stored.flatMap((d) => Object.values(d.d).map((day) => Object.keys(day).length)))).toBeLessThanOrEqual(2 * threshold);
  });

  it('cases of one day added concurrently: the next add trims the day to exactly its earliest and latest', async () => {
    const threshold = 3;
    const day = cases.filter((c) => c.id.startsWith('busy-'));
    const set = (at: number) => `conc:${repeatSet('acme', 'billing', at)}`;
    await Promise.all(day.map((c) => sets.addBounded(set(c.at), c.id, c.at, threshold)));
    const late = { id: 'busy-late', at: day[0]!.at + 1 };
    await sets.addBounded(set(late.at), late.id, late.at, threshold);
    const kept = [...(await sets.read(set(late.at))).members.keys()].sort();
    const sorted = [...day, late].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
    expect(kept).toEqual([...sorted.slice(0, threshold), ...sorted.slice(-threshold)].map((c) => c.id).sort());
  });

  it('day sets stored as documents of their own (the old layout) are folded into month documents once', async () => {
    await model.collection.insertMany([
      { _id: 'old:repeat:acme:billing:2026-02-27', m: { a: T0 - 3 * DAY }, rev: 4 },
      { _id: 'old:repeat:acme:billing:2026-03-01', m: { b: T0 - DAY, c: T0 - DAY + 5 }, rev: 1 },
    ] as never);
    expect(await sets.foldLegacyDaySets()).toBe(2);
    expect([...(await sets.read('old:repeat:acme:billing:2026-03-01')).members]).toEqual([
      ['b', T0 - DAY],
      ['c', T0 - DAY + 5],
    ]);
    expect([...(await sets.read('old:repeat:acme:billing:2026-02-27')).members]).toEqual([['a', T0 - 3 * DAY]]);
    expect(await model.collection.countDocuments({ _id: { $regex: '^old:.*-[0-9]{2}-[0-9]{2}$' } } as object)).toBe(0);
    // Marked done: a later day-named document (none is written any more) is left alone.
    await model.collection.insertOne({ _id: 'old:repeat:acme:billing:2026-03-09', m: { d: T0 + 7 * DAY } } as never);
    expect(await sets.foldLegacyDaySets()).toBe(0);
  });

  it('adding a member again changes nothing; a removed one is gone and moves the revision on', async () => {
    await sets.addBounded('again', 'a', T0, 3);
    const before = await sets.read('again');
    await sets.addBounded('again', 'a', T0, 3);
    expect((await sets.read('again')).rev).toBe(before.rev);
    await sets.remove('again', 'a');
    const after = await sets.read('again');
    expect(after.members.size).toBe(0);
    expect(after.rev).toBe(before.rev + 1);
  });

  it('trims a day set that did not come through addBounded (a copy of data) to what addBounded keeps', async () => {
    const day = repeatSet('trim', 'billing', T0);
    const members = Array.from({ length: 50 }, (_, i) => ({ id: `copy-${String(i).padStart(2, '0')}`, at: T0 + ((i * 37) % 50) * 60_000 }));
    const month = day.slice(0, -3);
    await model.collection.insertOne({ _id: month, d: { [day.slice(-2)]: Object.fromEntries(members.map((m) => [m.id, m.at])) }, rev: 1 } as never);
    expect(await sets.trimDaySets(3, [month])).toBe(44);
    const kept = [...(await sets.read(day)).members].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    const byTime = [...members].sort((a, b) => a.at - b.at).map((m) => m.id);
    expect(kept).toEqual([...byTime.slice(0, 3), ...byTime.slice(-3)]);
    expect(await sets.trimDaySets(3, [month])).toBe(0);
  });
});
