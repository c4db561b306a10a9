import { EventEnvelope, Events, ExportJobView, RenderedReport, Rpc, Streams } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor, workspaceRoot } from '@sladesk/testing';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

const CASES = 6000;

/**
 * Case documents as the projection writes them (seeded directly: this test is about exports, not
 * events), a third of them resolved; their record packs and loose keys are then derived by
 * `rebuild.js --packs`, with the projection's own placement.
 */
function caseDocs(from: number, n: number) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const receivedAt = new Date(Date.UTC(2026, 2, 1 + (i % 28), 9, 0, 0) + i * 1000).toISOString();
    return {
      _id: `case-${String(i).padStart(6, '0')}`,
      rev: 1,
      applied: [],
      pending: {},
      caseId: `case-${i}`,
      accountId: i % 2 ? 'acme' : 'globex',
      number: i + 1,
      channel: 'email',
      severity: { v: 'normal', at: '', id: 'x' },
      receivedAt,
      day: receivedAt.slice(0, 10),
      month: '2026-03',
      contact: { name: `Contact ${i}`, email: `c${i}@acme.test` },
      subject: `Question ${i}`,
      description: `Description of case ${i}. `.repeat(3),
      reopenCount: 0,
      ...(i % 3 === 0 ? { resolved: { at: receivedAt, by: 'Carla', id: `r${i}` } } : {}),
      seqs: [1, 2],
      steps: { '1': { kind: 'opened', at: receivedAt, actor: `Contact ${i}`, text: 'd' }, '2': { kind: 'response', at: receivedAt, actor: 'Carla', text: `Answer ${i}` } },
      clocks: {},
    };
  });
}

describe('an export job writes any size in chunks, survives the death of its instance, and announces itself', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let first: ServiceChild | undefined;
  let second: ServiceChild | undefined;
  const mongoUrl = testMongoUrl('reporting_export');
  const env = () => ({
    NATS_URL: nats.url,
    MONGO_URL: mongoUrl,
    SLADESK_DIGEST_ENABLED: 'false',
    SLADESK_REPORT_INLINE_MAX_ROWS: '100',
    SLADESK_EXPORT_LEASE_MS: '1500',
    SLADESK_EXPORT_SWEEP_MS: '300',
  });
  const job = (id: string) => bus.request(Rpc.ExportGet, { id });
  const download = async (j: ExportJobView) => {
    const parts: Buffer[] = [];
    for (let n = 0; n < j.chunks!; n++) {
      const c = await bus.request(Rpc.ExportChunk, { id: j.id, n });
      expect(c.last).toBe(n === j.chunks! - 1);
      parts.push(Buffer.from(c.data, 'base64'));
    }
    return Buffer.concat(parts);
  };

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    for (let i = 0; i < CASES; i += 2000) await db.collection('rm_cases').insertMany(caseDocs(i, 2000) as never[]);
    // The counters say how many rows to expect: one bucket per account.
    await db.collection('rm_buckets').insertMany([
      { _id: '2026-03:acme', period: '2026-03', accountId: 'acme', appliedEventIds: [], cases: CASES / 2, s: { normal: { cases: CASES / 2 } } },
      { _id: '2026-03:globex', period: '2026-03', accountId: 'globex', appliedEventIds: [], cases: CASES / 2, s: { normal: { cases: CASES / 2 } } },
    ] as never[]);
    await db.collection('rm_report_index').insertOne({ _id: '2026-03', accounts: ['acme', 'globex'] } as never);
    const { stdout } = await promisify(execFile)(process.execPath, [join(workspaceRoot(), 'dist/apps/reporting/src/rebuild.js'), '--packs'], {
      env: { ...process.env, ...env(), NODE_ENV: 'test' },
    });
    expect(stdout).toMatch(`rebuilt record packs from ${CASES} cases`);
    expect(await db.collection('rm_record_loose').countDocuments()).toBe(CASES - CASES / 3);
    first = spawnService('reporting', env());
    await first.ready;
  }, 180_000); // rebuild.js --packs records each of the 6,000 placements in its case document (~20 s here)

  afterAll(async () => {
    if (process.env.DEBUG_REPORTING) console.log(first?.output().split('\n').filter((l) => l.includes('export')).join('\n'), second?.output().split('\n').filter((l) => l.includes('export')).join('\n'));
    await Promise.all([first?.kill(), second?.kill()]);
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await nats?.cleanup();
  });

  it('turns a report too big for one reply into a job, finishes it on another instance after a SIGKILL, and serves it chunk by chunk', async () => {
    const r = (await bus.request(Rpc.ReportRender, { report: 'support-record', format: 'csv', month: '2026-03' })) as RenderedReport;
    if (r.kind !== 'job') throw new Error(`expected a job, got a ${r.kind}`);
    expect(r.job).toMatchObject({ state: 'queued', totalRows: CASES, percent: 0, downloadPath: `/v1/exports/${r.job.id}/download` });
    await expect(bus.request(Rpc.ExportChunk, { id: r.job.id, n: 0 })).rejects.toMatchObject({ code: 'EXPORT.NOT_READY' });

    const running = (await waitFor(async () => {
      const j = await job(r.job.id);
      return j.state === 'running' && j.rows >= 1000 ? j : null;
    }, 'the job under way', 30_000, 20))!;
    expect(running.percent).toBeGreaterThan(0);
    expect(running.percent).toBeLessThan(100);
    await first!.kill('SIGKILL');
    expect((await db.collection('report_exports').findOne({ _id: r.job.id as never }))?.state).toBe('running');

    second = spawnService('reporting', { ...env(), SLADESK_INSTANCE_ID: 'second' });
    await second.ready;
    const done = (await waitFor(async () => {
      const j = await job(r.job.id);
      return j.state === 'done' ? j : null;
    }, 'the job done', 60_000, 100))!;
    expect(done).toMatchObject({ rows: CASES, totalRows: CASES, percent: 100 });
    expect(done.chunks).toBeGreaterThan(1);
    expect(second.output()).toContain('taken over');

    const file = await download(done);
    expect(file.length).toBe(done.bytes);
    expect(createHash('sha256').update(file).digest('hex')).toBe(done.sha256);
    const rows = parse(file, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toHaveLength(CASES);
    expect(new Set(rows.map((x) => x.case_id)).size).toBe(CASES);
    // Only the finished attempt's chunks remain.
    expect(await db.collection('report_export_chunks').countDocuments({ exportId: { $regex: `^${r.job.id}#` } })).toBe(done.chunks);

    const ready = (await waitFor(
      () => bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.ReportReady }).then((m) => m!.json<EventEnvelope<any>>()).catch(() => null),
      'report.ready',
    ))!;
    expect(ready.payload).toMatchObject({ exportId: r.job.id, report: 'support-record', format: 'csv', purpose: 'export', rows: CASES, bytes: done.bytes, sha256: done.sha256 });
  });

  it('writes a requested export as XLSX, the same rows for one account', async () => {
    const created = await bus.request(Rpc.ExportCreate, { report: 'support-record', format: 'xlsx', month: '2026-03', accountId: 'acme' });
    expect(created).toMatchObject({ state: 'queued', accountId: 'acme', totalRows: CASES / 2 });
    const done = (await waitFor(async () => {
      const j = await job(created.id);
      return j.state === 'done' ? j : null;
    }, 'the xlsx job', 60_000, 100))!;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await download(done)) as never);
    const ws = wb.getWorksheet('cases')!;
    expect(ws.rowCount).toBe(CASES / 2 + 1);
    expect(done.rows).toBe(CASES / 2);
    await expect(bus.request(Rpc.ExportGet, { id: 'no-such-export' })).rejects.toMatchObject({ code: 'EXPORT.NOT_FOUND' });
  });
});
