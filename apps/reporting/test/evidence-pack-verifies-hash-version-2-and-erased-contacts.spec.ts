import { RenderedReport, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { freePort, ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { parse } from 'csv-parse/sync';
import mongoose from 'mongoose';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { projected } from './fixtures';

const run = promisify(execFile);

/** Unzips a buffer into a new folder. */
async function unzip(zip: Buffer): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sladesk-pack-'));
  const file = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(zip, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))));
  await new Promise<void>((resolve, reject) => {
    file.on('entry', (entry: yauzl.Entry) => {
      file.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const parts: Buffer[] = [];
        stream.on('data', (c: Buffer) => parts.push(c));
        stream.on('end', () => {
          mkdirSync(dirname(join(dir, entry.fileName)), { recursive: true });
          writeFileSync(join(dir, entry.fileName), Buffer.concat(parts));
          file.readEntry();
        });
      });
    });
    file.on('end', resolve);
    file.on('error', reject);
    file.readEntry();
  });
  return dir;
}

const verify = (dir: string) =>
  run(process.execPath, ['verify.mjs', '.'], { cwd: dir }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );

describe('the evidence pack verifies hash version 2 offline: v1 and v2 entries in one chain, an erased contact, and detects edits', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let intake: ServiceChild | undefined;
  let reporting: ServiceChild | undefined;
  let dir: string | undefined;
  const mongoUrl = testMongoUrl('reporting_pack_v2');
  const SECRET = 'my analytical engine serial is AE-1843';
  let env: Record<string, string>;
  const startIntake = async (extra: Record<string, string>) => {
    intake = spawnService('intake', { ...env, SLADESK_SMTP_PORT: String(await freePort()), SLADESK_SMTP_RELAY_URL: 'smtp://127.0.0.1:1', ...extra });
    await intake.ready;
  };

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    reporting = spawnService('reporting', { ...env, SLADESK_DIGEST_ENABLED: 'false' });
    await reporting.ready;
  });

  afterAll(async () => {
    await Promise.all([intake?.kill(), reporting?.kill()]);
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await nats?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies every chain, the erased contact included, and names each kind of edit', async () => {
    // An intake of before: version 1 (values inside the hash).
    await startIntake({ SLADESK_PERSONAL_DATA_COMMITMENTS: 'false' });
    await bus.request(Rpc.StaffCreate, { id: 'carla', name: 'Carla CSM', email: 'carla@vendor.test', roles: ['csm'] });
    await bus.request(Rpc.AccountCreate, { id: 'acme', name: 'Acme', timeZone: 'UTC', csmId: 'carla' });
    const open = (name: string, email: string, description: string, receivedAt: string) =>
      bus.request(Rpc.CaseCreate, { accountId: 'acme', contact: { name, email }, channel: 'api', subject: `${name} cannot log in`, description, severity: 'high', receivedAt });
    const old = await open('Olga Old', 'olga@acme.test', 'Sealed before version 2.', '2026-03-02T10:00:00.000Z');
    await bus.request(Rpc.CaseRespond, { caseId: old.id, by: 'carla', text: 'On it (v1).', at: '2026-03-02T11:00:00.000Z' });
    // Then the default: version 2 — appended to the same chain, and for new cases.
    await intake!.kill();
    await startIntake({});
    await bus.request(Rpc.CaseAddAction, { caseId: old.id, by: 'carla', kind: 'analysis', text: 'Analysed after the upgrade (v2).', at: '2026-03-02T12:00:00.000Z' });
    const ada = await open('Ada Lovelace', 'ada@acme.test', `Ada writes: ${SECRET}`, '2026-03-03T10:00:00.000Z');
    await bus.request(Rpc.CaseRespond, { caseId: ada.id, by: 'carla', text: 'Hello Ada, we are on it.', at: '2026-03-03T11:00:00.000Z' });
    await bus.request(Rpc.CaseAddAction, { caseId: ada.id, by: 'carla', kind: 'analysis', text: 'Ada Lovelace has a locked session.', at: '2026-03-03T12:00:00.000Z' });
    const bob = await open('Bob Babbage', 'bob@acme.test', 'Bob asks a question.', '2026-03-04T10:00:00.000Z');
    await bus.request(Rpc.CaseRespond, { caseId: bob.id, by: 'carla', text: 'Hello Bob.', at: '2026-03-04T11:00:00.000Z' });
    const erasure = await bus.request(Rpc.ContactErase, { email: 'ada@acme.test', note: 'ticket 4711' });
    expect(erasure.caseIds).toEqual([ada.id]);

    const timelines = await Promise.all([old, ada, bob].map((c) => bus.request(Rpc.CaseTimeline, { id: c.id, verify: true })));
    for (const t of timelines) expect(t.verification).toMatchObject({ intact: true });
    const olds = timelines[0].entries;
    expect(olds.slice(0, -1).every((e) => !e.pd) && olds.length >= 3).toBe(true); // opened, response (… assignment): v1
    expect(olds.at(-1)).toMatchObject({ kind: 'analysis', pd: { salt: expect.any(String) } }); // appended after the upgrade: v2
    // reporting has every entry, and has erased Ada's as intake did (contact.erased)
    await waitFor(
      async () => {
        const entries = await db.collection('rm_case_entries').find({}).toArray();
        const adas = entries.filter((e) => e.caseId === ada.id);
        return (await projected(bus)) && entries.length === timelines.reduce((n, t) => n + t.entries.length, 0) && adas.length > 0 && adas.every((e) => e.pd?.erased === true);
      },
      'every entry projected, Ada\'s erased',
      30_000,
      100,
    );

    const r = (await bus.request(Rpc.ReportRender, { report: 'support-record', format: 'zip', month: '2026-03', accountId: 'acme' }, { timeoutMs: 60_000 })) as RenderedReport;
    if (r.kind !== 'file') throw new Error(`expected a file, got ${JSON.stringify(r)}`);
    dir = await unzip(Buffer.from(r.data, 'base64'));
    const path = join(dir, 'timelines.jsonl');
    const original = readFileSync(path, 'utf8');
    for (const s of ['Ada Lovelace', 'ada@acme.test', SECRET, 'Hello Ada']) expect({ s, inPack: original.includes(s) || readFileSync(join(dir, 'support-record.csv'), 'utf8').includes(s) }).toEqual({ s, inPack: false });
    const heads = parse(readFileSync(join(dir, 'head-hashes.csv')), { columns: true }) as Record<string, string>[];
    expect(new Map(heads.map((h) => [h.case_id, h.head_hash]))).toEqual(new Map(timelines.map((t, i) => [[old, ada, bob][i].id, t.verification!.headHash])));

    const ok = await verify(dir);
    expect(ok).toMatchObject({ code: 0 });
    const v2 = timelines.flatMap((t) => t.entries).filter((e) => e.pd).length;
    const erasedCount = timelines[1].entries.length;
    expect(ok.stdout).toContain(`VERIFIED: 3 of 3 case timelines intact, 6 files checked, ${v2} entries of hash version 2 (${erasedCount} erased)`);

    const lines = original.trim().split('\n').map((l) => JSON.parse(l));
    const indexOf = (id: string) => lines.findIndex((t) => t.caseId === id);
    const edit = (id: string, change: (t: any) => void) => {
      const copy = lines.map((t) => JSON.parse(JSON.stringify(t)));
      change(copy[indexOf(id)]);
      writeFileSync(path, copy.map((t) => JSON.stringify(t)).join('\n') + '\n');
    };
    const failure = async () => {
      const v = await verify(dir!);
      expect(v.code).toBe(1);
      return v.stdout;
    };
    // A version-2 entry's answer edited: its commitment no longer fits.
    edit(bob.id, (t) => (t.entries[1].text = 'Hello Bob (edited).'));
    expect(await failure()).toContain(`(${bob.id}): entry 2: personal data: text does not match its commitment (altered)`);
    // The commitment edited to fit a new text would need the salt … and the hash covers the commitment.
    edit(bob.id, (t) => (t.entries[1].pd.c.text = 'f'.repeat(64)));
    expect(await failure()).toContain(`(${bob.id}): entry 2: content does not match its hash (altered)`);
    // A hashed fact of a version-2 entry edited.
    edit(bob.id, (t) => (t.entries[1].kind = 'note'));
    expect(await failure()).toContain(`(${bob.id}): entry 2: content does not match its hash (altered)`);
    // An erased entry given a text again (say, made up): refused.
    edit(ada.id, (t) => (t.entries[1].text = 'We never answered.'));
    expect(await failure()).toContain(`(${ada.id}): entry 2: personal data: erased, yet it has a text`);
    // Marking an entry erased does not excuse an edit either: the salt is gone, the text no longer hashed…
    edit(bob.id, (t) => {
      t.entries[1].text = 'Hello Bob (edited).';
      t.entries[1].pd = { c: t.entries[1].pd.c, erased: true };
    });
    expect(await failure()).toContain(`(${bob.id}): entry 2: personal data: erased, yet it has a text`);
    // A version-1 entry edited, in the chain that goes on in version 2.
    edit(old.id, (t) => (t.entries[1].text = 'On it (edited).'));
    expect(await failure()).toContain(`(${old.id}): entry 2: content does not match its hash (altered)`);
    // Removing the commitments makes an entry version 1: its hash no longer fits.
    edit(old.id, (t) => delete t.entries.at(-1).pd);
    expect(await failure()).toContain(`(${old.id}): entry ${olds.length}: content does not match its hash (altered)`);
    writeFileSync(path, original);
    expect((await verify(dir)).code).toBe(0);
  });
});
