import { Events, makeEnvelope, Streams } from '@sladesk/contracts';
import { consumerName, loadConfig, NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';
import { GatewayEnv } from '../src/config';
import { Gateway, startGateway } from '../src/gateway';

const KEY = 'test-admin-key-0123456789';
const MONTH = '2026-03';

const opened = (caseId: string, number: number, receivedAt: string) =>
  makeEnvelope(Events.CaseOpened, { caseId, number, accountId: 'acme', channel: 'email' as const, severity: 'high' as const, category: 'technical' as const, receivedAt });
const met = (caseId: string, at: string, elapsed: number, withinGoal: boolean) =>
  makeEnvelope(Events.SlaMet, {
    caseId,
    accountId: 'acme',
    clock: 'first_response' as const,
    cycle: 1,
    severity: 'high' as const,
    goal: { clause: 'policy default v1 · high · firstResponse: PT4H business hours', policyId: 'default', policyVersion: 1, duration: 'PT4H', from: 'received' as const, hours: 'business' as const, calendarId: 'default-contract', calendarVersion: 1, businessSeconds: 14_400 },
    at,
    elapsedBusinessSeconds: elapsed,
    remainingBusinessSeconds: 0,
    overdueBusinessSeconds: withinGoal ? 0 : 60,
    withinGoal,
    reason: 'responded',
  });
/** The opening entry with a long description (300 KB): three such cases make a file bigger than one NATS reply. */
const longOpening = (caseId: string, at: string) =>
  makeEnvelope(Events.CaseTimelineAppended, {
    caseId,
    accountId: 'acme',
    entries: [{ seq: 1, kind: 'opened' as const, at, recordedAt: at, actor: { kind: 'contact' as const, name: `Contact of ${caseId}` }, text: `${caseId}: ${'log line '.repeat(33_000)}`, data: { subject: `Logs of ${caseId}` }, prevHash: '0'.repeat(64), hash: '1'.repeat(64) }],
  });

describe('reports and exports over HTTP', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let reporting: ServiceChild | undefined;
  let gateway: Gateway;
  const mongoUrl = testMongoUrl('gateway_reports');
  const http = (path: string, init: RequestInit & { json?: unknown; key?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? KEY}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${gateway.url}${path}`, { ...init, method: init.method ?? (init.json !== undefined ? 'POST' : 'GET'), headers, body: init.json !== undefined ? JSON.stringify(init.json) : undefined });
  };

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    const events = [
      opened('h1', 1, '2026-03-02T10:00:00.000Z'),
      met('h1', '2026-03-02T11:00:00.000Z', 3600, true),
      opened('h2', 2, '2026-03-03T10:00:00.000Z'),
      met('h2', '2026-03-03T16:00:00.000Z', 21_600, false),
      opened('h3', 3, '2026-03-04T10:00:00.000Z'),
      longOpening('h1', '2026-03-02T10:00:00.000Z'),
      longOpening('h2', '2026-03-03T10:00:00.000Z'),
      longOpening('h3', '2026-03-04T10:00:00.000Z'),
    ];
    for (const e of events) await bus.publishEnvelope(e);
    reporting = spawnService('reporting', { NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_DIGEST_ENABLED: 'false', SLADESK_EXPORT_SWEEP_MS: '200' });
    await reporting.ready;
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.Events.name, consumerName('reporting', 'sladesk.evt.>')).catch(() => null);
      return info && info.num_pending === 0 && info.num_ack_pending === 0;
    }, 'events projected', 30_000, 100);
    gateway = await startGateway(loadConfig(GatewayEnv, { NATS_URL: nats.url, MONGO_URL: mongoUrl, PORT: '0', LOG_LEVEL: 'silent', SLADESK_ADMIN_API_KEY: KEY }, {}));
  });

  afterAll(async () => {
    await gateway?.stop();
    await reporting?.kill();
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await nats?.cleanup();
  });

  it('answers a report as JSON, or as a CSV or XLSX download named after it', async () => {
    const res = await http(`/v1/reports/sla-compliance?month=${MONTH}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as any).summary.totals).toMatchObject({ cases: 3, firstResponse: { met: 1, missed: 1, pending: 1, metPct: 50 } });

    const csv = await http(`/v1/reports/sla-compliance?month=${MONTH}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="sladesk-sla-compliance-${MONTH}.csv"`);
    expect(parse(await csv.text(), { columns: true, bom: true })).toEqual([expect.objectContaining({ account_id: 'acme', severity: 'high', cases: '3', first_response_met_pct: '50' })]);

    const xlsx = await http(`/v1/reports/escalations?month=${MONTH}&format=XLSX&accountId=acme`);
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await xlsx.arrayBuffer()) as never);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'escalations', 'by_tier', 'by_reason']);
  });

  it('streams a report bigger than one NATS reply chunk by chunk', async () => {
    const res = await http(`/v1/reports/support-record?month=${MONTH}&format=csv`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    // In base64, as a reply carries it, more than the 1 MiB NATS message.
    expect(Math.ceil(body.length / 3) * 4).toBeGreaterThan(1024 * 1024);
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    const rows = parse(body, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => r.case_id)).toEqual(['h1', 'h2', 'h3']);
    expect(rows[2].description).toHaveLength('h3: '.length + 'log line '.length * 33_000);
  });

  it('runs an export job: 202 with its Location, progress, then the download', async () => {
    const res = await http('/v1/exports', { json: { report: 'support-record', format: 'json', month: MONTH, accountId: 'acme' } });
    expect(res.status).toBe(202);
    const job = (await res.json()) as any;
    expect(res.headers.get('location')).toBe(`/v1/exports/${job.id}`);
    expect(job).toMatchObject({ report: 'support-record', format: 'json', state: 'queued', totalRows: 3 });
    const done = await waitFor(async () => {
      const j = (await (await http(`/v1/exports/${job.id}`)).json()) as any;
      return j.state === 'done' ? j : null;
    }, 'the export done', 30_000, 100);
    expect(done).toMatchObject({ rows: 3, percent: 100, chunks: 2 });
    const file = await http(done.downloadPath);
    expect(file.status).toBe(200);
    const report = JSON.parse(Buffer.from(await file.arrayBuffer()).toString());
    expect(report.tables.cases.map((c: any) => c.case_id).sort()).toEqual(['h1', 'h2', 'h3']);
  });

  it.each([
    ['/v1/reports/sla-compliance?format=doc', 400, 'VALIDATION.FAILED'],
    ['/v1/reports/sla-compliance?month=2026-13', 400, 'VALIDATION.FAILED'],
    ['/v1/reports/sla-compliance?month=2026-03&from=2026-03-01', 400, 'REPORT.INVALID_PERIOD'],
    ['/v1/reports/notices?from=2026-03-10&to=2026-03-01', 400, 'REPORT.INVALID_PERIOD'],
    ['/v1/reports/sla-compliance?format=zip', 400, 'REPORT.FORMAT_UNSUPPORTED'],
    ['/v1/reports/sla-compliance?accountId=bad%20id', 400, 'VALIDATION.FAILED'],
    ['/v1/exports/no-such-export', 404, 'EXPORT.NOT_FOUND'],
    ['/v1/exports/no-such-export/download', 404, 'EXPORT.NOT_FOUND'],
  ])('GET %s answers %i %s', async (path, status, code) => {
    const res = await http(path);
    expect(res.status).toBe(status);
    expect(((await res.json()) as any).code).toBe(code);
  });

  it('refuses without an API key, and documents the routes', async () => {
    expect((await http('/v1/reports/sla-compliance', { key: null })).status).toBe(401);
    expect((await http('/v1/exports', { json: { report: 'nope' } })).status).toBe(400);
    const doc = (await (await http('/openapi.json', { key: null })).json()) as any;
    for (const p of ['/v1/reports/support-record', '/v1/reports/sla-compliance', '/v1/reports/escalations', '/v1/reports/availability', '/v1/reports/notices', '/v1/exports', '/v1/exports/{id}', '/v1/exports/{id}/download']) {
      expect(doc.paths).toHaveProperty([p]);
    }
  });
});
