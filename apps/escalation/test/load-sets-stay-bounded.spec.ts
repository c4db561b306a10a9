import { openConnection } from '@sladesk/persistence';
import { testMongoUrl } from '@sladesk/testing';
import { Connection, Model } from 'mongoose';
import { v7 as uuidv7 } from 'uuid';
import { CaseProjection } from '../src/cases/case-projection.service';
import { DirStaff } from '../src/directory/directory.schema';
import { DirectoryService } from '../src/directory/directory.service';
import { RoutingService } from '../src/escalations/routing.service';
import { IdSetSchema } from '../src/keyed/id-sets';
import { LOAD_BUCKETS, loadBucketId, loadBucketOf, LoadSets, loadSummaryId } from '../src/keyed/load-sets';
import { EffectivePolicy } from '../src/policies/policy.schema';

type Raw = { _id: string; m?: Record<string, number>; n?: Record<string, number>; v?: Record<string, number> };

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

/**
 * A Tier 2 member's open cases, for least-loaded routing: counted exactly, by documents that stay
 * small however many cases the member owns (the first layout kept every member in one document, and
 * on FerretDB a write of a 5,000-member document took ~300 ms against ~3 ms for a small one).
 */
describe('Tier 2 load sets: bounded documents, exact counts', () => {
  let conn: Connection;
  let model: Model<Raw>;
  let loads: LoadSets;

  beforeAll(async () => {
    conn = await openConnection({ url: testMongoUrl('esc_load_sets') });
    model = conn.model('EscLoadSets', IdSetSchema.clone(), 'esc_sets') as never;
    loads = new LoadSets(model as never);
  });

  afterAll(async () => {
    await conn?.dropDatabase();
    await conn?.close();
  });

  const docsOf = async (staffId: string) => {
    const buckets = (await model.collection.find({ _id: { $regex: `^loadb:\\d{2}:${staffId}$` } } as object).toArray()) as unknown as Raw[];
    const summary = (await model.collection.findOne({ _id: loadSummaryId(staffId) } as object)) as unknown as Raw | null;
    return { buckets, summary };
  };
  const countOf = async (staffId: string) => (await loads.loads([staffId]))[0]!.n;

  it('counts 600 cases added concurrently (each added twice) and 250 removed (each removed twice), in buckets of a bounded size', async () => {
    const ids = Array.from({ length: 600 }, () => uuidv7());
    await inParallel([...ids, ...ids.slice(0, 300)], 25, (id) => loads.add('tia', id));
    expect(await countOf('tia')).toBe(600);

    const gone = ids.slice(100, 350);
    await inParallel([...gone, ...gone.slice(0, 50)], 25, (id) => loads.remove('tia', id));
    expect(await countOf('tia')).toBe(350);
    expect(await loads.has('tia', ids[0]!)).toBe(true);
    expect(await loads.has('tia', ids[200]!)).toBe(false);

    const { buckets, summary } = await docsOf('tia');
    const members = buckets.flatMap((b) => Object.keys(b.m ?? {}));
    expect(members.sort()).toEqual([...ids.slice(0, 100), ...ids.slice(350)].sort());
    for (const b of buckets) for (const id of Object.keys(b.m ?? {})) expect(b._id).toBe(loadBucketId('tia', loadBucketOf(id)));
    // No document lists every member: the largest bucket holds a few times 350 / 32, the summary two numbers a bucket.
    expect(Math.max(...buckets.map((b) => Object.keys(b.m ?? {}).length))).toBeLessThanOrEqual(Math.ceil((3 * 350) / LOAD_BUCKETS));
    expect(summary?.m).toBeUndefined();
    expect(Object.keys(summary?.n ?? {}).length).toBeLessThanOrEqual(LOAD_BUCKETS);
  });

  it('spreads 20 concurrent least-loaded routings of two instances over two members, 10 each, and counts each pick once', async () => {
    const team = [{ _id: 'tom', active: true, roles: ['tier2'] }, { _id: 'uma', active: true, roles: ['tier2'] }] as unknown as DirStaff[];
    const directory = { withRole: async () => team } as unknown as DirectoryService;
    const projection = { recordMembership: async () => undefined } as unknown as CaseProjection;
    // Two instances: each makes its own picks one at a time; between them the reservation decides.
    const instances = [0, 1].map(() => new RoutingService(directory, projection, new LoadSets(model as never), model as never));
    const routing = instances[0]!;
    const policy = { tier2Assignment: 'least_loaded' } as EffectivePolicy;
    const caseIds = Array.from({ length: 20 }, () => uuidv7());
    const picks = await Promise.all(caseIds.map((id, i) => instances[i % 2]!.route('tier2', 'acme', policy, id)));
    const by = (who: string) => picks.filter((p) => p.assignee?._id === who).length;
    expect([by('tom'), by('uma')]).toEqual([10, 10]);
    expect(await loads.loads(['tom', 'uma'])).toEqual([expect.objectContaining({ n: 10 }), expect.objectContaining({ n: 10 })]);
    // Routed again (a redelivered event): the same member, counted once.
    const again = await routing.route('tier2', 'acme', policy, caseIds[0]);
    expect(again.assignee?._id).toBe(picks[0]!.assignee?._id);
    expect((await loads.loads(['tom', 'uma'])).map((l) => l.n)).toEqual([10, 10]);
  });

  it('spreads a load set of the first layout (every member in one document) into buckets at start, once', async () => {
    const ids = Array.from({ length: 1_200 }, () => uuidv7());
    await model.collection.insertOne({ _id: loadSummaryId('vic'), m: Object.fromEntries(ids.map((id) => [id, 1])), rev: 7 } as never);
    // Resolved before the fold: taken out of the old document too.
    await loads.remove('vic', ids[5]!);
    expect(await countOf('vic')).toBe(1_199);

    expect(await loads.foldLegacy()).toBe(1_199);
    expect(await loads.foldLegacy()).toBe(0);
    const { buckets, summary } = await docsOf('vic');
    expect(summary?.m).toBeUndefined();
    expect(buckets.flatMap((b) => Object.keys(b.m ?? {})).sort()).toEqual(ids.filter((_, i) => i !== 5).sort());
    expect(await countOf('vic')).toBe(1_199);
  });

  it('repairs what a copy of the data or a crash left: members in the wrong bucket, a reservation with no member, a case that left', async () => {
    const ids = Array.from({ length: 90 }, () => uuidv7());
    await inParallel(ids.slice(0, 30), 10, (id) => loads.add('wes', id));
    // A copy (the benchmark's seed) lists 60 more beside one member, in that member's bucket.
    const home = loadBucketId('wes', loadBucketOf(ids[0]!));
    await model.collection.updateOne({ _id: home } as object, { $set: Object.fromEntries(ids.slice(30).map((id) => [`m.${id}`, 1])) });
    // A reservation whose bucket write never came (a SIGKILL between the two).
    await loads.reserve('wes', (await loads.loads(['wes']))[0]!.rev, 'never-added');
    await model.collection.updateOne({ _id: loadBucketId('wes', loadBucketOf('never-added')) } as object, { $unset: { 'm.never-added': '' } });
    expect(await countOf('wes')).not.toBe(90);

    const left = new Set(ids.slice(80));
    const checked: string[] = [];
    const listed = await loads.reconcile(async (staffId, caseId) => {
      if (staffId !== 'wes') return;
      checked.push(caseId);
      if (left.has(caseId)) await loads.remove(staffId, caseId);
    });
    expect(listed).toBeGreaterThanOrEqual(90);
    expect(checked.sort()).toEqual([...ids].sort());
    expect(await countOf('wes')).toBe(80);
    const { buckets } = await docsOf('wes');
    for (const b of buckets) for (const id of Object.keys(b.m ?? {})) expect(b._id).toBe(loadBucketId('wes', loadBucketOf(id)));
    for (const id of ids) expect(await loads.has('wes', id)).toBe(!left.has(id));
  });
});
