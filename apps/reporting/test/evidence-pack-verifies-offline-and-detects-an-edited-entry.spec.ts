import { Events, makeEnvelope, RenderedReport, Rpc } from '@sladesk/contracts';
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

describe('the evidence pack: CSV, PDF, every timeline with its head hash, and a script that verifies them offline', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let intake: ServiceChild | undefined;
  let reporting: ServiceChild | undefined;
  let dir: string | undefined;
  const mongoUrl = testMongoUrl('reporting_pack');

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    intake = spawnService('intake', { ...env, SLADESK_SMTP_PORT: String(await freePort()), SLADESK_SMTP_RELAY_URL: 'smtp://127.0.0.1:1' });
    reporting = spawnService('reporting', { ...env, SLADESK_DIGEST_ENABLED: 'false' });
    await Promise.all([intake.ready, reporting.ready]);
  });

  afterAll(async () => {
    await Promise.all([intake?.kill(), reporting?.kill()]);
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await nats?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes verification as intake sealed it, and fails once one entry is edited, removed, or the CSV altered', async () => {
    // A case recorded by the real intake, so the chain is hashed exactly as intake hashes it.
    await bus.request(Rpc.StaffCreate, { id: 'carla', name: 'Carla CSM', email: 'carla@vendor.test', roles: ['csm'] });
    await bus.request(Rpc.AccountCreate, { id: 'acme', name: 'Acme', timeZone: 'America/New_York', csmId: 'carla' });
    const created = await bus.request(Rpc.CaseCreate, {
      accountId: 'acme',
      contact: { name: 'Ada Lovelace', email: 'ada@acme.test' },
      channel: 'api',
      subject: 'Cannot log in',
      description: 'The login page spins forever.',
      severity: 'high',
      receivedAt: '2026-03-02T14:00:00.000Z',
    });
    const id = created.id;
    await bus.request(Rpc.CaseRespond, { caseId: id, by: 'carla', text: 'We are on it.', at: '2026-03-02T15:00:00.000Z' });
    await bus.request(Rpc.CaseAddAction, { caseId: id, by: 'carla', kind: 'analysis', text: 'The session store is full.', at: '2026-03-02T16:00:00.000Z' });
    await bus.request(Rpc.CaseAddAction, { caseId: id, by: 'carla', kind: 'step', text: 'Resized the session store.', at: '2026-03-02T17:00:00.000Z' });
    await bus.request(Rpc.CaseResolve, { caseId: id, by: 'carla', summary: 'Logins work again.', at: '2026-03-02T18:00:00.000Z' });
    const timeline = await bus.request(Rpc.CaseTimeline, { id, verify: true });
    expect(timeline.verification).toMatchObject({ intact: true });
    // What intake's publisher of case.timeline-appended sends (the test stands in for it): the sealed entries.
    await bus.publish(makeEnvelope(Events.CaseTimelineAppended, { caseId: id, accountId: 'acme', entries: timeline.entries }));
    await waitFor(() => projected(bus), 'events projected', 30_000, 100);
    await waitFor(async () => ((await db.collection('rm_cases').findOne({ _id: id as never }))?.seqs?.length ?? 0) === timeline.entries.length && (await projected(bus)), 'timeline projected');

    const r = (await bus.request(Rpc.ReportRender, { report: 'support-record', format: 'zip', month: '2026-03', accountId: 'acme' }, { timeoutMs: 60_000 })) as RenderedReport;
    if (r.kind !== 'file') throw new Error(`expected a file, got ${JSON.stringify(r)}`);
    dir = await unzip(Buffer.from(r.data, 'base64'));

    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files).sort()).toEqual(['README.txt', 'head-hashes.csv', 'support-record.csv', 'support-record.pdf', 'timelines.jsonl', 'verify.mjs']);
    const csv = parse(readFileSync(join(dir, 'support-record.csv')), { columns: true, bom: true }) as Record<string, string>[];
    expect(csv).toHaveLength(1);
    expect(csv[0]).toMatchObject({ case_id: id, contact_name: 'Ada Lovelace', first_response_at: '2026-03-02T15:00:00.000Z', resolved_at: '2026-03-02T18:00:00.000Z', analysis: 'The session store is full.' });
    expect(readFileSync(join(dir, 'support-record.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    const heads = parse(readFileSync(join(dir, 'head-hashes.csv')), { columns: true }) as Record<string, string>[];
    expect(heads).toEqual([{ case_id: id, case_number: String(created.number), account_id: 'acme', entries: String(timeline.entries.length), head_hash: timeline.verification!.headHash }]);

    const ok = await verify(dir);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain(`VERIFIED: 1 of 1 case timelines intact, 6 files checked, ${timeline.entries.length} entries of hash version 2 (0 erased)`);

    const path = join(dir, 'timelines.jsonl');
    const original = readFileSync(path, 'utf8');
    const edit = (change: (t: any) => void) => {
      const t = JSON.parse(original);
      change(t);
      writeFileSync(path, `${JSON.stringify(t)}\n`);
    };
    // Someone edits what we answered: entry 2 (hash version 2, the default) no longer fits its commitment.
    edit((t) => (t.entries[1].text = 'We are on it (edited).'));
    const edited = await verify(dir);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain('entry 2: personal data: text does not match its commitment (altered)');
    expect(edited.stdout).toContain('NOT VERIFIED');
    // …or removes the analysis: the chain breaks at the gap.
    edit((t) => t.entries.splice(2, 1));
    expect((await verify(dir)).stdout).toContain('entry 4: expected entry 3, found 4 (removed or reordered)');
    // …or removes the last entry: the chain holds, the head does not.
    edit((t) => t.entries.pop());
    expect((await verify(dir)).stdout).toMatch(/entries, head-hashes.csv says \d+ \(removed\)/);
    // …or alters the CSV: the manifest catches it.
    writeFileSync(path, original);
    writeFileSync(join(dir, 'support-record.csv'), readFileSync(join(dir, 'support-record.csv'), 'utf8').replace('Ada Lovelace', 'Ada Byron'));
    const csvEdited = await verify(dir);
    expect(csvEdited.code).toBe(1);
    expect(csvEdited.stdout).toContain('support-record.csv: sha256 differs from the manifest (altered)');
  });
});
