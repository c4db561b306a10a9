import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { Connection } from 'mongoose';
import { ensureFerretdbBinary, ManagedProcess, startFerretdb } from '../src/infra';

// FerretDB 1.24's SQLite backend queries _id with `_ferretdb_sjson->'$._id'` but indexes
// `_ferretdb_sjson->"_id"`, so SQLite never used an index for _id (SCAN: every update by _id read the
// whole table), and it pushed `_id = ?` down only when _id was the filter's only key. The launcher
// (tools/ferretdb/idindex.go) adds an index on the queried expression to every collection table, and
// the build patches the pushdown (FERRETDB_PATCHES in src/infra.ts). Against FerretDB's own behaviour
// every plan below is a SCAN.

interface Explained {
  queryPlanner: { Plan: string[] };
  filterPushdown: boolean;
}

/**
 * The SQLite plan FerretDB gets for a find (the same backend query an update, findAndModify or delete
 * with this filter runs). A real find comes first: SQLite's EXPLAIN does not check the schema version,
 * so a pooled FerretDB connection that has not run a statement since the index was created would
 * still explain the old plan (its real statements are re-prepared with the index).
 */
async function plan(
  conn: Connection,
  collection: string,
  filter: object,
): Promise<{ plan: string; pushdown: boolean }> {
  await conn.db!.collection(collection).findOne(filter);
  const res = (await conn.db!.command({ explain: { find: collection, filter } })) as unknown as Explained;
  return { plan: res.queryPlanner.Plan.join(' | '), pushdown: res.filterPushdown };
}

interface Doc {
  _id: string;
  seq: number;
  status?: string;
}

const searchesIndex = (table: string) =>
  new RegExp(`SEARCH ${table}_\\w+ USING INDEX ${table}_\\w+_sladesk_id`);

describe('FerretDB launcher: _id lookups search an index', () => {
  const dirs: string[] = [];
  let server: ManagedProcess | undefined;
  let conn: Connection | undefined;

  const start = async (dataDir: string, idIndex?: boolean) => {
    server = await startFerretdb({ dataDir, idIndex });
    conn = await mongoose.createConnection(`${server.url}/sladesk_test_id_index`).asPromise();
    return conn;
  };
  const stop = async () => {
    await conn?.close();
    await server?.stop();
    conn = server = undefined;
  };
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sladesk-ferretdb-id-index-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(() => ensureFerretdbBinary(), 300_000); // built once into ~/.cache/sladesk (~2 min)
  afterEach(stop);
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a collection created after start: updates by {_id} and by {_id, seq} search the _id index', async () => {
    const db = await start(dataDir());
    const cases = db.collection<Doc>('cases_created_later');
    await cases.insertMany(
      Array.from({ length: 200 }, (_, i) => ({ _id: `case-${i}`, seq: 0, status: 'open' })),
    );

    // optimistic concurrency: the stale seq matches nothing, the current one updates
    const stale = await cases.updateOne({ _id: 'case-7', seq: 1 }, { $set: { status: 'lost' } });
    expect(stale.matchedCount).toBe(0);
    const current = await cases.updateOne({ _id: 'case-7', seq: 0 }, { $set: { seq: 1, status: 'ack' } });
    expect(current.modifiedCount).toBe(1);
    expect(await cases.findOne({ _id: 'case-7' })).toMatchObject({ seq: 1, status: 'ack' });

    const byId = await plan(db, 'cases_created_later', { _id: 'case-7' });
    expect(byId.plan).toContain('SEARCH');
    expect(byId.plan).toContain('USING INDEX');
    expect(byId.plan).toMatch(searchesIndex('cases_created_later'));

    const byIdAndSeq = await plan(db, 'cases_created_later', { _id: 'case-7', seq: 1 });
    expect(byIdAndSeq.pushdown).toBe(true);
    expect(byIdAndSeq.plan).toContain('SEARCH');
    expect(byIdAndSeq.plan).toContain('USING INDEX');

    // ObjectId _ids too
    const events = db.collection('events_created_later');
    const id = new mongoose.Types.ObjectId();
    await events.insertMany([{ _id: id, seq: 3 }, { seq: 3 }]);
    expect(await events.countDocuments({ _id: id, seq: 3 })).toBe(1);
    expect((await plan(db, 'events_created_later', { _id: id, seq: 3 })).plan).toMatch(
      searchesIndex('events_created_later'),
    );
  }, 30_000);

  it('a collection from an earlier run without the index is indexed when the launcher starts', async () => {
    const dir = dataDir();
    let db = await start(dir, false); // as an older launcher (or FerretDB alone) left it
    const docs = Array.from({ length: 200 }, (_, i) => ({ _id: `old-${i}`, seq: 0 }));
    await db.collection<Doc>('cases_from_before').insertMany(docs);
    expect((await plan(db, 'cases_from_before', { _id: 'old-3' })).plan).toContain('SCAN');
    await stop();

    db = await start(dir);
    const byIdAndSeq = await plan(db, 'cases_from_before', { _id: 'old-3', seq: 0 });
    expect(byIdAndSeq.plan).toContain('SEARCH');
    expect(byIdAndSeq.plan).toContain('USING INDEX');
    expect(byIdAndSeq.plan).toMatch(searchesIndex('cases_from_before'));
    const cases = db.collection<Doc>('cases_from_before');
    expect(await cases.countDocuments({})).toBe(200);
    // the index is unique like FerretDB's own: a duplicate _id is still E11000
    await expect(cases.insertOne({ _id: 'old-3', seq: 0 })).rejects.toMatchObject({ code: 11000 });
  }, 30_000);
});
