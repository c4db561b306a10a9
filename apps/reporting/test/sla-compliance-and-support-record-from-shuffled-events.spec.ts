import { RenderedReport, Rpc } from '@sladesk/contracts';
import { testMongoUrl } from '@sladesk/testing';
import { parse } from 'csv-parse/sync';
import { FR_HIGH, marchFixture, RES_CRITICAL, ReportingRig, shuffled } from './fixtures';

describe('SLA compliance and the support record, from events in any order, delivered more than once', () => {
  const rig = new ReportingRig(testMongoUrl('reporting_sla'));

  const render = async (report: 'sla-compliance' | 'support-record', format: 'json' | 'csv', extra: object = {}) => {
    const period = 'from' in extra ? {} : { month: '2026-03' };
    const r = (await rig.bus.request(Rpc.ReportRender, { report, format, ...period, ...extra })) as RenderedReport;
    if (r.kind !== 'file') throw new Error(`expected a file, got ${JSON.stringify(r)}`);
    return Buffer.from(r.data, 'base64').toString('utf8');
  };

  beforeAll(() => rig.start(shuffled(marchFixture())));
  afterAll(() => rig.stop());

  it('computes March by hand: goals met, percentiles in business time, breaches by clause', async () => {
    const report = JSON.parse(await render('sla-compliance', 'json'));
    const t = report.summary.totals;
    expect(t).toEqual({
      cases: 4,
      firstResponse: { met: 3, missed: 1, pending: 0, metPct: 75, p50Seconds: 3600, p90Seconds: 18_000 },
      resolution: { met: 2, missed: 1, pending: 1, metPct: 66.7, p50Seconds: 28_800, p90Seconds: 57_600 },
      breaches: 2,
      resolved: 3,
    });
    expect(report.summary.bySeverity.high).toMatchObject({ cases: 2, breaches: 1, firstResponse: { met: 1, missed: 1, metPct: 50 } });
    expect(report.summary.bySeverity.critical).toMatchObject({ cases: 1, resolution: { met: 0, missed: 1 } });
    expect(report.summary.breachesByClause).toEqual([
      { clause: RES_CRITICAL, breaches: 1 },
      { clause: FR_HIGH, breaches: 1 },
    ]);
    expect(report.summary.byAccount.map((a: any) => [a.accountId, a.accountName, a.cases])).toEqual([
      ['acme', 'Acme Corporation', 3],
      ['globex', 'Globex', 1],
    ]);
    // Trend: six months up to March; February has c6 with its breach, April's c5 is not in it.
    expect(report.summary.trend.map((m: any) => [m.month, m.cases])).toEqual([
      ['2025-10', 0],
      ['2025-11', 0],
      ['2025-12', 0],
      ['2026-01', 0],
      ['2026-02', 1],
      ['2026-03', 4],
    ]);
    const acme = JSON.parse(await render('sla-compliance', 'json', { accountId: 'acme' }));
    expect(acme.summary.totals).toMatchObject({ cases: 3, firstResponse: { met: 2, missed: 1 }, resolution: { met: 1, missed: 1, pending: 1 } });
    // A part of a month is read from day buckets: 2–5 March holds c1, c2, c3.
    const days = JSON.parse(await render('sla-compliance', 'json', { from: '2026-03-02', to: '2026-03-05' }));
    expect(days.summary.totals).toMatchObject({ cases: 3, breaches: 2 });
  });

  it('gives the same figures as CSV, one row per month, account and severity', async () => {
    const rows = parse(await render('sla-compliance', 'csv'), { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.account_id, r.severity, r.cases, r.first_response_met, r.first_response_missed, r.resolution_met_pct])).toEqual([
      ['acme', 'critical', '1', '1', '0', '0'],
      ['acme', 'high', '2', '1', '1', '100'],
      ['globex', 'normal', '1', '1', '0', '100'],
    ]);
  });

  it('exports the contract\'s record of every case, in JSON and in CSV with formulas neutralised', async () => {
    const json = JSON.parse(await render('support-record', 'json', { accountId: 'acme' }));
    const cases = json.tables.cases;
    expect(cases.map((c: any) => c.case_id)).toEqual(['c1', 'c2', 'c3']);
    expect(cases[0]).toMatchObject({
      case_number: 1,
      account_name: 'Acme Corporation',
      received_at: '2026-03-02T14:00:00.000Z',
      contact_name: 'Ada Lovelace',
      contact_email: 'ada@acme.test',
      subject: 'Cannot log in',
      first_response_at: '2026-03-02T15:00:00.000Z',
      first_response_by: 'Carla CSM',
      description: 'The login page spins forever.',
      analysis: 'Session store full.',
      resolved_at: '2026-03-02T18:00:00.000Z',
      resolution_summary: 'Session store resized; logins work.',
      first_response_goal: 'met',
      resolution_goal: 'met',
      timeline_entries: 5,
    });
    expect(cases[0].steps.split('\n')).toEqual([
      '2026-03-02T15:00:00.000Z response (Carla CSM): We are on it.',
      '2026-03-02T16:00:00.000Z analysis (Tom Tier2): Session store full.',
      '2026-03-02T17:00:00.000Z step (Tom Tier2): Resized the session store.',
      '2026-03-02T18:00:00.000Z resolved (Tom Tier2): Session store resized; logins work.',
    ]);
    expect(cases[1]).toMatchObject({ first_response_goal: 'missed', resolution_goal: 'pending', resolved_at: null });
    expect(cases[1].sla_breaches).toContain(FR_HIGH);
    expect(cases[2]).toMatchObject({ reopen_count: 1, resolved_at: '2026-03-06T15:00:00.000Z', resolution_goal: 'missed' });

    const csv = parse(await render('support-record', 'csv', { accountId: 'acme' }), { columns: true, bom: true }) as Record<string, string>[];
    expect(csv.map((r) => r.case_id)).toEqual(['c1', 'c2', 'c3']);
    expect(csv[0].steps).toBe(cases[0].steps);
    expect(csv[0].contact_name).toBe('Ada Lovelace');
    expect(csv[1].subject).toBe(`'=HYPERLINK("http://evil.test","x")`);
  });

  it('rebuilds every read model from the stream into the same reports', async () => {
    const before = await Promise.all([render('sla-compliance', 'json'), render('support-record', 'json')]).then((r) => r.map((x) => JSON.parse(x)));
    await rig.db.collection('rm_buckets').insertOne({ _id: '2026-03:acme', s: { high: { cases: 1000 } } } as never).catch(() => undefined);
    await rig.db.collection('rm_buckets').updateOne({ _id: '2026-03:acme' as never }, { $inc: { 's.high.cases': 1000 } });
    const corrupted = JSON.parse(await render('sla-compliance', 'json'));
    expect(corrupted.summary.totals.cases).toBe(1004);

    expect(await rig.rebuild()).toMatch(/rebuilt read models from \d+ events/);
    const after = await Promise.all([render('sla-compliance', 'json'), render('support-record', 'json')]).then((r) => r.map((x) => JSON.parse(x)));
    for (const [b, a] of before.map((b, i) => [b, after[i]])) {
      expect({ ...a, generatedAt: undefined }).toEqual({ ...b, generatedAt: undefined });
    }
    expect(after[0].summary.totals.cases).toBe(4);
  });
});
