import { RenderedReport, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { opened, projected, publishAll, slaMet } from './fixtures';

const CASES = 150;

describe('counters stay exact when the projecting process is killed mid-way', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let reporting: ServiceChild | undefined;
  const mongoUrl = testMongoUrl('reporting_projection_kill');
  const env = () => ({ NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_DIGEST_ENABLED: 'false', SLADESK_ACK_WAIT_MS: '1500' });

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
  });

  afterAll(async () => {
    await reporting?.kill();
    await bus?.close();
    await db?.dropDatabase();
    await db?.close();
    await nats?.cleanup();
  });

  it('counts every case and every goal once after a SIGKILL, with nothing left pending', async () => {
    // Even cases: first response in time (1 h); odd: late (5 h). Each SLA event before its case.opened.
    const events = Array.from({ length: CASES }, (_, i) => [
      slaMet(`k${i}`, 'acme', 'first_response', 'high', `2026-05-0${1 + (i % 9)}T11:00:00.000Z`, i % 2 ? 18_000 : 3600, i % 2 === 0),
      opened(`k${i}`, i + 1, 'acme', 'high', `2026-05-0${1 + (i % 9)}T10:00:00.000Z`),
    ]).flat();
    await publishAll(bus, events, 5);

    reporting = spawnService('reporting', env());
    await reporting.ready;
    await waitFor(async () => (await db.collection('rm_cases').countDocuments({})) >= 40, 'some cases projected', 30_000, 5);
    await reporting.kill('SIGKILL');
    const atKill = await db.collection('rm_cases').countDocuments({});
    expect(atKill).toBeLessThan(CASES);

    reporting = spawnService('reporting', env());
    await reporting.ready;
    await waitFor(() => projected(bus), 'everything projected', 90_000, 200);

    const r = (await bus.request(Rpc.ReportRender, { report: 'sla-compliance', month: '2026-05' })) as RenderedReport;
    if (r.kind !== 'file') throw new Error('expected a file');
    const totals = JSON.parse(Buffer.from(r.data, 'base64').toString()).summary.totals;
    expect(totals).toMatchObject({ cases: CASES, firstResponse: { met: CASES / 2, missed: CASES / 2, pending: 0, metPct: 50, p50Seconds: 3600, p90Seconds: 18_000 } });
    // Day buckets add up to the month bucket.
    const days = await db.collection('rm_buckets').find({ period: { $regex: '^2026-05-' } }).toArray();
    expect(days.reduce((n, d) => n + (d.cases as number), 0)).toBe(CASES);
    const leftovers = await db.collection('rm_cases').find({}).toArray();
    expect(leftovers.filter((c) => Object.keys(c.pending ?? {}).length)).toEqual([]);
  });
});
