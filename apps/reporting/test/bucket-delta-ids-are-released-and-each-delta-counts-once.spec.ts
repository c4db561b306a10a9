import { openConnection } from '@sladesk/persistence';
import { testMongoUrl } from '@sladesk/testing';
import { Connection } from 'mongoose';
import { ReportingEnv } from '../src/config';
import { APPLIED_MAP, BucketDelta, BucketStore } from '../src/read-models/buckets';
import { RmBucketSchema, RmClauseSchema, RmReportIndexSchema } from '../src/read-models/read-model.schemas';

const MIN = 60_000;
const T0 = Date.UTC(2026, 4, 4, 9);

/**
 * A bucket records the id of every delta applied to it, so a delta handed over twice (a crash between
 * handing it over and forgetting it) counts once. Those ids must not pile up for a day in a bucket
 * every case of the account writes: the writer takes out its own ids once they are older than the
 * release time, and the pruner takes out what a stopped writer left.
 */
describe('counter buckets: each delta counts once, and the ids they keep stay few', () => {
  let conn: Connection;
  const store = (releaseMs: number, graceMs?: number) =>
    new BucketStore(
      conn.model('RmBucketT', RmBucketSchema.clone(), 'rm_buckets') as never,
      conn.model('RmReportIndexT', RmReportIndexSchema.clone(), 'rm_report_index') as never,
      conn.model('RmClauseT', RmClauseSchema.clone(), 'rm_clauses') as never,
      { SLADESK_REPORTING_DELTA_RELEASE_MS: releaseMs, ...(graceMs !== undefined ? { SLADESK_REPORTING_DELTA_GRACE_MS: graceMs } : {}) } as ReportingEnv,
    );
  const delta = (bucket: string, n: number, at: number): BucketDelta => ({
    id: `case:c${n}#1_0@${at}`,
    bucket,
    period: bucket.slice(0, 7),
    accountId: 'acme',
    inc: [{ f: 's.high.cases', n: 1 }],
  });
  const bucket = async (id: string) => (await conn.collection('rm_buckets').findOne({ _id: id as never })) as Record<string, any>;

  beforeAll(async () => {
    conn = await openConnection({ url: testMongoUrl('reporting_bucket_ids') });
  });

  afterAll(async () => {
    await conn?.dropDatabase();
    await conn?.close();
  });

  it('a day of deltas: every one counted once however often handed over, and only the last minutes of ids kept', async () => {
    const buckets = store(10 * MIN);
    const id = '2026-05:acme';
    // 600 deltas, one a minute over ten hours; each handed over twice, the second time at once.
    for (let i = 0; i < 600; i++) {
      const d = delta(id, i, T0 + i * MIN);
      expect(await buckets.apply(d, T0 + i * MIN)).toBe(true);
      expect(await buckets.apply(d, T0 + i * MIN + 1)).toBe(false);
    }
    const doc = await bucket(id);
    expect(doc.s.high.cases).toBe(600);
    // Ten minutes of ids (and the one being released), not ten hours.
    expect(Object.keys(doc[APPLIED_MAP]).length).toBeLessThanOrEqual(12);
    // A late hand-over of a delta still inside the release time counts nothing.
    expect(await buckets.apply(delta(id, 595, T0 + 595 * MIN), T0 + 600 * MIN)).toBe(false);
    expect((await bucket(id)).s.high.cases).toBe(600);
  });

  it('ids their entity has forgotten leave after the grace; one still pending stays until the release time', async () => {
    const buckets = store(10 * MIN, MIN);
    const id = '2026-08:acme';
    // 60 deltas, one every 10 s: every entity forgot its delta right away, but for number 7 (its unset failed).
    for (let i = 0; i < 60; i++) {
      const at = T0 + i * 10_000;
      const d = delta(id, i, at);
      expect(await buckets.apply(d, at)).toBe(true);
      if (i !== 7) buckets.confirm([d], at);
    }
    const kept = Object.keys((await bucket(id))[APPLIED_MAP]);
    // A minute of ids (and the one being released), not ten: and number 7 among them, still recognised.
    expect(kept.length).toBeLessThanOrEqual(8);
    expect(kept.some((k) => k.startsWith('case:c7#'))).toBe(true);
    expect(await buckets.apply(delta(id, 7, T0 + 70_000), T0 + 600_000)).toBe(false);
    expect((await bucket(id)).s.high.cases).toBe(60);
    // Once the release time is over, it goes too.
    await buckets.apply(delta(id, 100, T0 + 12 * MIN), T0 + 12 * MIN);
    expect(Object.keys((await bucket(id))[APPLIED_MAP]).some((k) => k.startsWith('case:c7#'))).toBe(false);
  });

  it('a graceful stop takes out the ids its entities forgot (not those still pending), so a restart leaves few behind', async () => {
    const buckets = store(10 * MIN, MIN);
    const id = '2026-09:acme';
    const now = Date.now();
    for (let i = 0; i < 30; i++) {
      const d = delta(id, i, now - 30_000);
      await buckets.apply(d, now - 30_000);
      if (i !== 3) buckets.confirm([d], now - 20_000);
    }
    expect(Object.keys((await bucket(id))[APPLIED_MAP])).toHaveLength(30);
    await buckets.onModuleDestroy();
    const kept = Object.keys((await bucket(id))[APPLIED_MAP]);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^case:c3#/);
    expect((await bucket(id)).s.high.cases).toBe(30);
  });

  it('deltas handed to one bucket at once go in few writes, each counted once, a repeated one too', async () => {
    const buckets = store(10 * MIN);
    const id = '2026-07:acme';
    const model = (buckets as unknown as { buckets: { collection: { updateOne: (...a: unknown[]) => unknown } } }).buckets;
    const spy = jest.spyOn(model.collection, 'updateOne');
    await buckets.apply(delta(id, 0, T0), T0); // applied before: handed over again below
    spy.mockClear();
    const all = [delta(id, 0, T0), ...Array.from({ length: 40 }, (_, i) => delta(id, i + 1, T0))];
    const results = await Promise.all([...all, all[5]!, all[9]!].map((d) => buckets.apply(d, T0 + MIN)));
    // Each new delta applied exactly once (a repeat in the same round answers false), the old one not again.
    expect(results.filter(Boolean)).toHaveLength(40);
    expect(results[0]).toBe(false);
    expect((await bucket(id)).s.high.cases).toBe(41);
    // The first goes alone (the old delta: nothing written); the rest waited for it and went as one.
    const writes = () => spy.mock.calls.filter((c) => (c[0] as { _id?: string })._id === id).length;
    expect(writes()).toBe(2);
    spy.mockClear();
    // A round holding an applied delta falls back to one write each, and counts the others.
    const mixed = await Promise.all([delta(id, 200, T0), delta(id, 201, T0), all[3]!, delta(id, 202, T0)].map((d) => buckets.apply(d, T0 + 2 * MIN)));
    expect(mixed).toEqual([true, true, false, true]);
    expect(writes()).toBe(1 + 1 + 3);
    expect((await bucket(id)).s.high.cases).toBe(44);
    spy.mockRestore();
  });

  it('a second writer (a restart) never takes out ids it did not apply; the pruner takes the old ones', async () => {
    const first = store(10 * MIN);
    const id = '2026-05-04:acme';
    for (let i = 0; i < 5; i++) await first.apply(delta(id, i, T0), T0);
    const second = store(10 * MIN);
    for (let i = 5; i < 10; i++) await second.apply(delta(id, i, T0 + 60 * MIN), T0 + 60 * MIN);
    expect(Object.keys((await bucket(id))[APPLIED_MAP]).length).toBe(10);
    // The first writer's ids are still recognised by the second.
    expect(await second.apply(delta(id, 2, T0), T0 + 61 * MIN)).toBe(false);
    expect(await second.prune(30 * MIN, T0 + 61 * MIN)).toBeGreaterThanOrEqual(5); // other tests' buckets too
    expect(Object.keys((await bucket(id))[APPLIED_MAP]).length).toBe(5);
    expect((await bucket(id)).s.high.cases).toBe(10);
  });

  it('ids kept the old way (an appliedEventIds list) are still recognised, and pruned', async () => {
    const id = '2026-06:acme';
    const old = delta(id, 1, T0);
    await conn.collection('rm_buckets').insertOne({ _id: id as never, period: '2026-06', accountId: 'acme', appliedEventIds: [old.id], s: { high: { cases: 1 } } });
    const buckets = store(10 * MIN);
    expect(await buckets.apply(old, T0 + MIN)).toBe(false);
    expect(await buckets.apply(delta(id, 2, T0), T0 + MIN)).toBe(true);
    expect((await bucket(id)).s.high.cases).toBe(2);
    expect(await buckets.prune(MIN, T0 + 10 * MIN)).toBe(2);
    const doc = await bucket(id);
    expect(doc.appliedEventIds).toEqual([]);
    expect(doc[APPLIED_MAP]).toEqual({});
  });
});
