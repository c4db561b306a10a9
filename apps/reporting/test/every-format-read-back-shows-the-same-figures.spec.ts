import { RenderedReport, ReportFormat, ReportKind, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';
import { writeFileSync } from 'node:fs';
import { FR_HIGH, marchFixture, projected, publishAll, shuffled } from './fixtures';

// pdf-parse 1.1.1's entry runs a self-test when it is the main module; its library file does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse = require('pdf-parse/lib/pdf-parse.js') as (b: Buffer) => Promise<{ text: string; numpages: number }>;

describe('XLSX, PDF, CSV and JSON of every report carry the same hand-computed figures', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let reporting: ServiceChild | undefined;
  const mongoUrl = testMongoUrl('reporting_formats');

  const file = async (report: ReportKind, format: ReportFormat, extra: object = {}): Promise<Buffer> => {
    const r = (await bus.request(Rpc.ReportRender, { report, format, month: '2026-03', ...extra }, { timeoutMs: 60_000 })) as RenderedReport;
    if (r.kind !== 'file') throw new Error(`expected a file, got ${JSON.stringify(r)}`);
    return Buffer.from(r.data, 'base64');
  };
  const json = async (report: ReportKind, extra: object = {}) => JSON.parse((await file(report, 'json', extra)).toString());
  const workbook = async (b: Buffer) => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(b as never);
    return wb;
  };
  const sheetRows = (wb: ExcelJS.Workbook, name: string) => {
    const ws = wb.getWorksheet(name)!;
    const header = (ws.getRow(1).values as unknown[]).slice(1) as string[];
    const rows: Record<string, unknown>[] = [];
    ws.eachRow((row, i) => {
      if (i > 1) rows.push(Object.fromEntries(header.map((h, j) => [h, row.getCell(j + 1).value])));
    });
    return rows;
  };
  const summaryOf = (wb: ExcelJS.Workbook) => Object.fromEntries(sheetRows(wb, 'Summary').map((r) => [r.Item, r.Value]));
  const pdfText = async (b: Buffer) => {
    expect(b.subarray(0, 5).toString()).toBe('%PDF-');
    return pdfParse(b);
  };

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    await publishAll(bus, shuffled(marchFixture(), 11));
    reporting = spawnService('reporting', { NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_DIGEST_ENABLED: 'false' });
    await reporting.ready;
    await waitFor(() => projected(bus), 'events projected', 30_000, 100);
  });

  afterAll(async () => {
    await reporting?.kill();
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await nats?.cleanup();
  });

  it('SLA compliance: the workbook and the PDF show 75.0 % and 66.7 %, the percentiles and the breached clauses', async () => {
    const wb = await workbook(await file('sla-compliance', 'xlsx'));
    expect(summaryOf(wb)).toMatchObject({ 'Cases received': '4', 'First responses within goal': '75.0 %', 'Resolutions within goal': '66.7 %', 'SLA breaches': '2' });
    expect(sheetRows(wb, 'compliance').map((r) => [r.account_id, r.severity, r.cases, r.first_response_met, r.first_response_p90_seconds, r.resolution_met_pct])).toEqual([
      ['acme', 'critical', 1, 1, 1800, 0],
      ['acme', 'high', 2, 1, 18_000, 100],
      ['globex', 'normal', 1, 1, 7200, 100],
    ]);
    expect(sheetRows(wb, 'breaches_by_clause').map((r) => r.clause)).toContain(FR_HIGH);

    const pdf = await pdfText(await file('sla-compliance', 'pdf'));
    expect(pdf.numpages).toBeGreaterThanOrEqual(2);
    for (const text of ['Executive summary', '75.0 %', '66.7 %', 'p50 1 h', 'p90 5 h', 'p50 8 h', 'p90 16 h', 'Compliance trend', 'Breaches by severity', FR_HIGH]) {
      expect(pdf.text).toContain(text);
    }
    if (process.env.SLADESK_SAMPLE_PDF) writeFileSync(process.env.SLADESK_SAMPLE_PDF, await file('sla-compliance', 'pdf'));
  });

  it('support record: the PDF prints each case\'s contact, steps and resolution; the workbook has one row per case', async () => {
    const pdf = await pdfText(await file('support-record', 'pdf', { accountId: 'acme' }));
    for (const text of ['Support record', 'Ada Lovelace', 'Resized the session store.', 'Session store resized; logins work.', 'Bob Builder']) expect(pdf.text).toContain(text);
    const wb = await workbook(await file('support-record', 'xlsx', { accountId: 'acme' }));
    const rows = sheetRows(wb, 'cases');
    expect(rows.map((r) => r.case_id)).toEqual(['c1', 'c2', 'c3']);
    expect(rows[0]).toMatchObject({ contact_name: 'Ada Lovelace', received_at: new Date('2026-03-02T14:00:00.000Z'), resolved_at: new Date('2026-03-02T18:00:00.000Z') });
    expect(String(rows[0].steps)).toContain('Resized the session store.');
  });

  it('escalations: 3 by tier and reason, 2 acknowledged (66.7 %), p50 30 min and p90 1 h to acknowledge', async () => {
    const report = await json('escalations');
    expect(report.summary.totals).toEqual({ escalations: 3, acknowledged: 2, acknowledgedPct: 66.7, ackP50Seconds: 1800, ackP90Seconds: 3600, repeats: 1 });
    expect(report.summary.byLevel.executive).toMatchObject({ escalations: 1, acknowledged: 0 });
    expect(report.summary.byReason.sla_breach).toMatchObject({ escalations: 1, acknowledged: 1, repeats: 1 });
    const csv = parse(await file('escalations', 'csv'), { columns: true, bom: true }) as Record<string, string>[];
    expect(csv.map((r) => [r.account_id, r.level, r.reason, r.escalations, r.acknowledged, r.ack_p50_seconds])).toEqual([
      ['_none', 'executive', 'platform_wide', '1', '0', ''],
      ['acme', 'tier1', 'new_case', '1', '1', '1800'],
      ['acme', 'tier2', 'sla_breach', '1', '1', '3600'],
    ]);
    const pdf = await pdfText(await file('escalations', 'pdf'));
    for (const text of ['Escalations', '66.7 %', 'p50 30 min', 'p90 1 h', 'Escalations by tier']) expect(pdf.text).toContain(text);
  });

  it('notices: every notification with its recipient, time and outcome, from escalation and from any other sender', async () => {
    const report = await json('notices');
    expect(report.summary).toEqual({ total: 4, sent: 3, failed: 1, sentPct: 75 });
    expect(report.tables.notices.map((n: any) => [n.notice_id, n.source, n.to, n.outcome, n.attempts])).toEqual([
      ['escalation:n1', 'escalation', 'carla@vendor.test', 'sent', 1],
      ['escalation:n2', 'escalation', 'carla@vendor.test', 'sent', 2],
      ['escalation:n3', 'escalation', 'carla@vendor.test', 'failed', 5],
      ['maintenance:d1', 'maintenance', 'ops@acme.test', 'sent', 1],
    ]);
    const acme = parse(await file('notices', 'csv', { accountId: 'acme' }), { columns: true, bom: true }) as Record<string, string>[];
    expect(acme.map((r) => r.notice_id)).toEqual(['escalation:n1', 'escalation:n2', 'maintenance:d1']);
    const wb = await workbook(await file('notices', 'xlsx'));
    expect(sheetRows(wb, 'notices')).toHaveLength(4);
  });

  it('availability, with no sla service to measure it, fails with SERVICE.UNAVAILABLE in every format instead of showing figures', async () => {
    // its figures: availability-report-shows-the-sla-figures-in-every-format.spec.ts
    for (const format of ['json', 'csv', 'xlsx', 'pdf'] as const) {
      await expect(bus.request(Rpc.ReportRender, { report: 'availability', format, month: '2026-03' })).rejects.toMatchObject({ code: 'SERVICE.UNAVAILABLE' });
    }
  });

  it('answers a bad period or format with its code', async () => {
    await expect(bus.request(Rpc.ReportRender, { report: 'sla-compliance', format: 'zip' })).rejects.toMatchObject({ code: 'REPORT.FORMAT_UNSUPPORTED' });
    await expect(bus.request(Rpc.ReportRender, { report: 'sla-compliance', from: '2026-03-10', to: '2026-03-01' })).rejects.toMatchObject({ code: 'REPORT.INVALID_PERIOD' });
    await expect(bus.request(Rpc.ReportRender, { report: 'sla-compliance', month: '2026-13' } as never)).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
  });
});
