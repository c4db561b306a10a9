import { DueIndex, decodeFieldKey, encodeFieldKey, openConnection } from '../src';
import { testMongoUrl } from '@sladesk/testing';
import { Collection, Connection } from 'mongoose';

const MIN = 60_000;
const at = (iso: string) => new Date(iso);

describe(DueIndex.name, () => {
  let conn: Connection;
  let collection: Collection;
  let n = 0;
  const fresh = (over: Partial<ConstructorParameters<typeof DueIndex>[1]> = {}) =>
    new DueIndex(collection, { name: `t${++n}`, ...over });
  const docs = (name: string) => collection.find({ _id: { $regex: `^${name}\\|` } } as object).toArray();

  beforeAll(async () => {
    conn = await openConnection({ url: testMongoUrl('due_index') });
    collection = conn.collection('due');
  });

  afterAll(async () => {
    await conn.dropDatabase();
    await conn.close();
  });

  it('encodes ids that cannot be field names, and decodes them back', () => {
    for (const id of ['case.1', 'a$b', '50%', 'esc_AbC-9:x']) expect(decodeFieldKey(encodeFieldKey(id))).toBe(id);
    expect(encodeFieldKey('a.b$c%')).not.toMatch(/[.$]/);
  });

  it('returns what is due by now, nothing later, and forgets what is done', async () => {
    const index = fresh();
    const now = at('2026-03-02T10:00:30Z');
    await index.schedule('a', at('2026-03-02T10:00:10Z'), now);
    await index.schedule('b.1', at('2026-03-02T10:00:40Z'), now); // same bucket, later
    await index.schedule('c', at('2026-03-02T10:05:00Z'), now);
    const due = await index.due(now);
    expect(due.map((e) => e.id)).toEqual(['a']);
    expect((await index.due(at('2026-03-02T10:01:00Z'))).map((e) => e.id).sort()).toEqual(['a', 'b.1']);
    await index.done(due[0]);
    expect((await index.due(at('2026-03-02T10:06:00Z'))).map((e) => e.id).sort()).toEqual(['b.1', 'c']);
  });

  it('does not re-read a bucket found empty for emptyRecheckMs, except after its own schedule; another writer is seen after it', async () => {
    const name = `t${++n}`;
    const index = new DueIndex(collection, { name, emptyRecheckMs: 400 });
    const reads: string[] = [];
    const counting = new Proxy(collection, {
      get: (target, prop, receiver) =>
        prop === 'findOne'
          ? (filter: { _id: string }, ...rest: unknown[]) => {
              reads.push(filter._id);
              return target.findOne(filter as object, ...(rest as []));
            }
          : Reflect.get(target, prop, receiver),
    });
    const watched = new DueIndex(counting, { name, emptyRecheckMs: 400 });
    const now = new Date();
    expect(await watched.due(now)).toEqual([]);
    const first = reads.length;
    expect(first).toBeGreaterThan(1); // the mark and every bucket from it to now
    reads.length = 0;
    expect(await watched.due(now)).toEqual([]);
    expect(reads.filter((id) => !id.endsWith('|lwm'))).toEqual([]); // only the mark again
    // Scheduled through this process (another DueIndex over the same documents): seen at once.
    await index.schedule('mine', now, now);
    expect((await watched.due(now)).map((e) => e.id)).toEqual(['mine']);
    // Written by another process (straight into the document): seen once the recheck time has passed.
    const bucket = `${name}|${new Date(Math.floor(now.getTime() / MIN) * MIN - MIN).toISOString()}`;
    await watched.due(now);
    await collection.updateOne({ _id: bucket } as object, { $set: { 'ids.theirs': { d: now.getTime() - MIN, s: now.getTime() - MIN } } }, { upsert: true });
    const soon = (await watched.due(now)).map((e) => e.id);
    expect(soon).not.toContain('theirs');
    await new Promise((r) => setTimeout(r, 450));
    expect((await watched.due(now)).map((e) => e.id).sort()).toEqual(['mine', 'theirs']);
  });

  it('finds what was scheduled with minute buckets after the index moves to ten-second ones', async () => {
    const name = `t${++n}`;
    const now = at('2026-03-02T10:05:00Z');
    await new DueIndex(collection, { name }).schedule('old', at('2026-03-02T10:03:40Z'), at('2026-03-02T10:00:00Z'));
    const narrow = new DueIndex(collection, { name, bucketMs: 10_000 });
    await narrow.schedule('new', at('2026-03-02T10:04:10Z'), at('2026-03-02T10:00:00Z'));
    const due = await narrow.due(now);
    expect(due.map((e) => e.id).sort()).toEqual(['new', 'old']);
    for (const e of due) await narrow.done(e);
    expect(await narrow.due(now)).toEqual([]);
  });

  it('keeps an entry re-scheduled into the same bucket while the old one was being handled', async () => {
    const index = fresh();
    const now = at('2026-03-02T11:00:00Z');
    await index.schedule('n', at('2026-03-02T11:00:01Z'), now);
    const [entry] = await index.due(at('2026-03-02T11:00:02Z'));
    await index.schedule('n', at('2026-03-02T11:00:05Z'), now); // a retry, same minute
    await index.done(entry);
    expect(await index.due(at('2026-03-02T11:00:06Z'))).toEqual([expect.objectContaining({ id: 'n', dueAt: at('2026-03-02T11:00:05Z') })]);
  });

  it('removes many handled entries with one write per bucket, and keeps one re-scheduled meanwhile', async () => {
    const index = fresh({ bucketMs: 10_000 });
    const now = at('2026-03-02T12:00:00Z');
    const ids = Array.from({ length: 250 }, (_, i) => `e${i}`);
    for (const id of ids) await index.schedule(id, at('2026-03-02T12:00:01Z'), now);
    await index.schedule('other-bucket', at('2026-03-02T12:00:31Z'), now);
    const entries = await index.due(at('2026-03-02T12:01:00Z'), 1000);
    expect(entries).toHaveLength(251);
    await index.schedule('e7', at('2026-03-02T12:00:05Z'), now); // re-scheduled into the same bucket while handled
    const updates: unknown[] = [];
    const counting = new Proxy(collection, {
      get: (target, prop) => (prop === 'updateOne' ? (...args: unknown[]) => (updates.push(args[0]), (target.updateOne as (...a: unknown[]) => unknown)(...args)) : Reflect.get(target, prop)),
    });
    await new DueIndex(counting as Collection, { name: `t${n}`, bucketMs: 10_000 }).doneMany(entries);
    // 250 entries in one bucket: three writes of up to 100, one of them falls back to 100 single ones (e7); the other bucket's one.
    expect(updates.length).toBe(3 + 100 + 1);
    expect(await index.due(at('2026-03-02T12:01:00Z'), 1000)).toEqual([expect.objectContaining({ id: 'e7', dueAt: at('2026-03-02T12:00:05Z') })]);
  });

  it('says when an entry is settled: old enough that its writer has written what it points at', async () => {
    const index = fresh();
    const scheduled = at('2026-03-02T11:30:00Z');
    await index.schedule('s', scheduled, scheduled);
    const [entry] = await index.due(at('2026-03-02T11:30:01Z'));
    expect(entry.scheduledAt).toEqual(scheduled);
    expect(DueIndex.settled(entry, at('2026-03-02T11:30:30Z'))).toBe(false);
    expect(DueIndex.settled(entry, at('2026-03-02T11:31:00Z'))).toBe(true);
  });

  it('cancels an entry', async () => {
    const index = fresh();
    const now = at('2026-03-02T12:00:00Z');
    await index.schedule('x', at('2026-03-02T12:00:10Z'), now);
    await index.cancel('x', at('2026-03-02T12:00:10Z'));
    expect(await index.due(at('2026-03-02T12:01:00Z'))).toEqual([]);
  });

  it('moves the low-water mark past emptied buckets and deletes them, never past a settled one that still holds work', async () => {
    const index = fresh({ graceMs: 2 * MIN, lookbackMs: 0 });
    const start = at('2026-03-02T13:00:00Z');
    await index.due(start); // the mark starts here
    await index.schedule('early', at('2026-03-02T13:01:00Z'), start);
    await index.schedule('late', at('2026-03-02T13:03:00Z'), start);
    const later = at('2026-03-02T13:10:00Z');
    const first = await index.due(later);
    expect(first.map((e) => e.id)).toEqual(['early', 'late']);
    await index.done(first[0]);
    await index.due(later);
    const kept = await docs(`t${n}`);
    const mark = kept.find((d) => String(d._id).endsWith('|lwm')) as unknown as { at: number };
    expect(new Date(mark.at).toISOString()).toBe('2026-03-02T13:03:00.000Z'); // stops at the bucket of "late"
    expect(kept.some((d) => String(d._id).includes('13:01:00'))).toBe(false); // emptied bucket deleted
    await index.done(first[1]);
    await index.due(later);
    const mark2 = (await docs(`t${n}`)).find((d) => String(d._id).endsWith('|lwm')) as unknown as { at: number };
    expect(new Date(mark2.at).toISOString()).toBe('2026-03-02T13:08:00.000Z'); // up to now − grace
  });

  it('puts something long overdue where the mark has not passed yet, so it is still found', async () => {
    const index = fresh({ graceMs: 2 * MIN, lookbackMs: 0 });
    const now = at('2026-03-02T14:30:00Z');
    await index.due(now); // mark at 14:30 − 0
    await index.due(at('2026-03-02T14:40:00Z')); // mark moves to 14:38
    await index.schedule('old', at('2026-03-01T00:00:00Z'), at('2026-03-02T14:40:00Z'));
    expect(await index.due(at('2026-03-02T14:40:01Z'))).toEqual([expect.objectContaining({ id: 'old', dueAt: at('2026-03-01T00:00:00Z') })]);
  });

  it('reads ahead for a caller passing a later `now`, but never moves the mark past its own clock', async () => {
    const index = fresh({ lookbackMs: 0 });
    const ahead = new Date(Date.now() + 12 * 3_600_000);
    await index.schedule('ahead', ahead);
    expect((await index.due(new Date(ahead.getTime() + 1000))).map((e) => e.id)).toEqual(['ahead']);
    await index.schedule('now', new Date()); // a scheduler on the real clock still lands above the mark
    expect((await index.due(new Date(Date.now() + 1000))).map((e) => e.id)).toEqual(['now']);
  });

  it('returns at most `limit` entries and the rest on the next call', async () => {
    const index = fresh();
    const now = at('2026-03-02T15:00:00Z');
    await Promise.all(Array.from({ length: 25 }, (_, i) => index.schedule(`id${i}`, new Date(now.getTime() + i * 1000), now)));
    const later = new Date(now.getTime() + 60_000);
    const first = await index.due(later, 10);
    expect(first).toHaveLength(10);
    await Promise.all(first.map((e) => index.done(e)));
    const rest = await index.due(later, 100);
    expect(rest).toHaveLength(15);
    expect(new Set([...first, ...rest].map((e) => e.id)).size).toBe(25);
  });

  it('gives two readers the same entries (their claims decide), and loses none under concurrent schedules', async () => {
    const a = fresh();
    const b = new DueIndex(collection, { name: `t${n}` });
    const now = at('2026-03-02T16:00:00Z');
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).schedule(`k${i}`, new Date(now.getTime() + (i % 3) * 20_000), now)));
    const later = new Date(now.getTime() + 2 * MIN);
    const [x, y] = await Promise.all([a.due(later, 1000), b.due(later, 1000)]);
    expect(x.map((e) => e.id).sort()).toEqual(y.map((e) => e.id).sort());
    expect(x).toHaveLength(40);
  });
});
