import { AvailabilityRpc, Events, makeEnvelope, RenderedReport, ReportFormat, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse = require('pdf-parse/lib/pdf-parse.js') as (b: Buffer) => Promise<{ text: string }>;

/**
 * The real sla (availability module) and escalation (incidents) processes, and reporting, over one NATS
 * and one database. November 2025 (UTC, 30 days = 43,200 min, final) computed by hand:
 * - `checkout`, 99.5 % a month (budget 0.5 % × 43,200 = 216 min), credits below 99.5 → 10 %, below 99 → 25 %,
 *   used by acme only. One outage 14:00–19:00 on the 10th = 300 min → (43,200 − 300) / 43,200 = 99.3056 %:
 *   below 99.5, not below 99 → 1000 basis points; budget left 216 − 300 = −84 min.
 * - the seeded `servers` (restored within 60 min of identification, a late restoration → 10 %): one software
 *   incident identified 08:00, restored 09:15 = 75 min → late by 15 min, 1000 basis points. Its cause is not
 *   power/HVAC, so the datacenter (100 %) stays met.
 * - acme's credits: checkout 1000 and servers 1000 (servers is every account's); globex only servers 1000.
 */
describe('the availability report shows the sla service\'s figures, in every format', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  const children: ServiceChild[] = [];
  let sla: ServiceChild;
  const mongoUrl = testMongoUrl('reporting_availability');
  const MONTH = '2025-11';

  const file = async (format: ReportFormat, extra: object = {}): Promise<Buffer> => {
    const r = (await bus.request(Rpc.ReportRender, { report: 'availability', format, month: MONTH, ...extra }, { timeoutMs: 60_000 })) as RenderedReport;
    if (r.kind !== 'file') throw new Error(`expected a file, got ${JSON.stringify(r)}`);
    return Buffer.from(r.data, 'base64');
  };
  const json = async (extra: object = {}) => JSON.parse((await file('json', extra)).toString());

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    const base = { NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_ACK_WAIT_MS: '2000' };
    const spawn = (name: string, env: Record<string, string> = {}) => {
      const c = spawnService(name, { ...base, ...env });
      children.push(c);
      return c;
    };
    sla = spawn('sla', { SLADESK_SLA_CATCHUP_MAX_MS: '1000', SLADESK_AVAILABILITY_SETTLE_MS: '1000', SLADESK_AVAILABILITY_PROBES: 'false' });
    const escalation = spawn('escalation');
    const reporting = spawn('reporting', { SLADESK_DIGEST_ENABLED: 'false' });
    await Promise.all([sla.ready, escalation.ready, reporting.ready]);

    await bus.request(AvailabilityRpc.ComponentCreate, {
      id: 'checkout',
      name: 'Checkout API',
      kind: 'api',
      accountIds: ['acme'],
      objectives: [
        {
          id: 'monthly',
          kind: 'availability',
          targetPercent: 99.5,
          availabilityCredits: [
            { belowPercent: 99.5, creditBasisPoints: 1000 },
            { belowPercent: 99, creditBasisPoints: 2500 },
          ],
        },
      ],
    });
    for (const id of ['acme', 'globex']) {
      await bus.publish(makeEnvelope(Events.AccountCreated, { id, name: id, timeZone: 'UTC', contacts: [], emailDomains: [], version: 1, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z' }));
    }
    const incident = (components: string[], from: string, to: string, extra: object = {}) =>
      bus.request(Rpc.IncidentCreate, { title: `${components[0]} down`, severity: 'high', components, impactStart: from, identifiedAt: from, restoredAt: to, ...extra });
    await incident(['checkout'], '2025-11-10T14:00:00.000Z', '2025-11-10T19:00:00.000Z', { cause: 'software' });
    await incident(['servers'], '2025-11-12T08:00:00.000Z', '2025-11-12T09:15:00.000Z', { cause: 'software' });
    // sla has applied both once its own report shows them
    await waitFor(
      async () => {
        const v = await bus.request(AvailabilityRpc.AvailabilityGet, { month: MONTH });
        const checkout = v.components.find((c) => c.componentId === 'checkout');
        const servers = v.components.find((c) => c.componentId === 'servers');
        const globex = v.accounts.find((a) => a.accountId === 'globex');
        return checkout?.objectives[0].downtimeMinutes === 300 && servers?.creditBasisPoints === 1000 && globex?.credits.servers === 1000;
      },
      'sla to count both incidents',
      30_000,
      200,
    );
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await bus?.close();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await nats?.cleanup();
  });

  it('JSON: the hand-computed month of checkout and servers, and every account\'s credits', async () => {
    const r = await json();
    expect(r.summary).toMatchObject({ available: true, lateRestorations: 1, maxCreditBasisPoints: 1000 });
    expect(r.notice).toBeUndefined();
    const rows = r.tables.availability as Record<string, unknown>[];
    expect(rows.find((x) => x.component_id === 'checkout')).toEqual({
      month: MONTH,
      component_id: 'checkout',
      component: 'Checkout API',
      objective: 'monthly',
      kind: 'availability',
      target: '99.5 %',
      period_minutes: 43_200,
      excluded_minutes: 0,
      downtime_minutes: 300,
      availability_pct: 99.3056,
      budget_left_minutes: -84,
      incidents: 1,
      late: null,
      met: false,
      final: true,
      credit_basis_points: 1000,
    });
    const servers = rows.find((x) => x.component_id === 'servers' && x.kind === 'restoration')!;
    expect(servers).toMatchObject({ target: 'restored within 60 min', incidents: 1, late: 1, met: false, credit_basis_points: 1000 });
    expect(rows.filter((x) => x.component_id === 'datacenter').every((x) => x.met === true && x.credit_basis_points === 0)).toBe(true);
    expect(r.tables.late_restorations).toEqual([
      expect.objectContaining({ component_id: 'servers', identified_at: '2025-11-12T08:00:00.000Z', restored_at: '2025-11-12T09:15:00.000Z', restoration_minutes: 75, late_minutes: 15, credit_basis_points: 1000 }),
    ]);
    expect(r.tables.credits.map((c: any) => [c.account_id, c.component_id, c.credit_basis_points])).toEqual([
      ['acme', 'checkout', 1000],
      ['acme', 'servers', 1000],
      ['globex', 'servers', 1000],
    ]);
  });

  it('one account: only the components it uses, only its credits', async () => {
    const r = await json({ accountId: 'globex' });
    const ids = new Set((r.tables.availability as any[]).map((x) => x.component_id));
    expect(ids.has('checkout')).toBe(false);
    expect(ids.has('servers')).toBe(true);
    expect(r.tables.credits.map((c: any) => [c.account_id, c.component_id, c.credit_basis_points])).toEqual([['globex', 'servers', 1000]]);
  });

  it('CSV, XLSX and PDF carry the same figures', async () => {
    const csv = parse(await file('csv'), { columns: true, bom: true }) as Record<string, string>[];
    expect(csv.find((x) => x.component_id === 'checkout')).toMatchObject({ downtime_minutes: '300', availability_pct: '99.3056', met: 'false', credit_basis_points: '1000' });

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await file('xlsx')) as never);
    const ws = wb.getWorksheet('availability')!;
    const header = (ws.getRow(1).values as unknown[]).slice(1) as string[];
    const sheet: Record<string, unknown>[] = [];
    ws.eachRow((row, i) => {
      if (i > 1) sheet.push(Object.fromEntries(header.map((h, j) => [h, row.getCell(j + 1).value])));
    });
    expect(sheet.find((x) => x.component_id === 'checkout')).toMatchObject({ downtime_minutes: 300, availability_pct: 99.3056, credit_basis_points: 1000 });
    expect(wb.getWorksheet('credits')!.rowCount).toBe(4);

    const text = (await pdfParse(await file('pdf'))).text;
    for (const t of ['Availability', 'Objectives met', 'Largest service credit', '10 %', 'Checkout API', '99.3056', 'Late restorations']) expect(text).toContain(t);
    expect(text).not.toMatch(/not measured/);
  });

  it('a period that is not whole months says the months are shown whole', async () => {
    const r = await json({ month: undefined, from: '2025-11-05', to: '2025-11-20' });
    expect(r.notice).toMatch(/calendar month/);
    expect((r.tables.availability as any[]).find((x) => x.component_id === 'checkout').downtime_minutes).toBe(300);
  });

  it('without the sla service the report fails with SERVICE.UNAVAILABLE rather than show figures it does not have', async () => {
    await sla.kill();
    await expect(bus.request(Rpc.ReportRender, { report: 'availability', format: 'json', month: MONTH }, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'SERVICE.UNAVAILABLE' });
  });
});
