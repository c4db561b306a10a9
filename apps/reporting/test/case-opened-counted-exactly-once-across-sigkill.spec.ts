import { Events, makeEnvelope, Streams } from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';

const TOTAL = 1000;
jest.setTimeout(400_000);

describe('reporting counts case.opened exactly once', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let reporting: ServiceChild | undefined;
  const mongoUrl = testMongoUrl('reporting_kill');
  const env = () => ({ NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_ACK_WAIT_MS: '1500' });
  const durable = consumerName('reporting', Events.CaseOpened);

  const counted = async () => {
    const docs = await db.collection('rm_case_counts_daily').find({}).toArray();
    return {
      opened: docs.reduce((n, d) => n + (d.opened as number), 0),
      applied: docs.flatMap((d) => d.appliedEventIds as string[]),
    };
  };
  const drained = async () => {
    const info = await bus.jsm.consumers.info(Streams.Events.name, durable);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  };

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
  });

  afterAll(async () => {
    await reporting?.kill();
    await bus.close();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  it('survives SIGKILL in the middle of 1,000 events with every event applied once', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < TOTAL; i++) {
      const e = makeEnvelope(Events.CaseOpened, {
        caseId: `c${i}`,
        number: i + 1,
        accountId: `acct${i % 7}`,
        channel: 'api' as const,
        severity: (['critical', 'high', 'normal', 'low'] as const)[i % 4],
        category: 'technical' as const,
        receivedAt: '2026-11-27T10:00:00.000Z',
      });
      ids.add(e.eventId);
      await bus.publish(e);
    }

    reporting = spawnService('reporting', env());
    await reporting.ready;
    await waitFor(async () => (await counted()).opened >= 150, 'some events applied', 90_000, 5);
    await reporting.kill('SIGKILL');
    const atKill = (await counted()).opened;
    expect(atKill).toBeLessThan(TOTAL);

    reporting = spawnService('reporting', env());
    await reporting.ready;
    // Every event now feeds several read models: on a loaded 2-core machine 1,000 of them take minutes.
    await waitFor(drained, 'consumer drained', 240_000, 200);

    const { opened, applied } = await counted();
    expect(opened).toBe(TOTAL);
    expect(applied).toHaveLength(TOTAL);
    expect(new Set(applied)).toEqual(ids);
  });

  it('applies an event published twice (past the JetStream dedup window) once', async () => {
    const e = makeEnvelope(Events.CaseOpened, {
      caseId: 'dup',
      number: 5000,
      accountId: 'acme',
      channel: 'email' as const,
      severity: 'low' as const,
      category: 'billing' as const,
      receivedAt: '2026-11-28T09:00:00.000Z',
    });
    await bus.publish(e);
    // A second copy with another Nats-Msg-Id, as an outbox replay after the window would produce.
    await bus.js.publish(e.type, new TextEncoder().encode(JSON.stringify(e)), { msgID: `${e.eventId}-replay` });
    await waitFor(drained, 'consumer drained', 120_000, 100);

    const day = await db.collection('rm_case_counts_daily').find({ day: '2026-11-28' }).toArray();
    expect(day.reduce((n, d) => n + (d.opened as number), 0)).toBe(1);
    const total = await bus.request('sladesk.rpc.reporting.case-counts.get.v1', { from: '2026-11-28', to: '2026-11-28' });
    expect(total).toMatchObject({ opened: 1, bySeverity: { low: 1 }, byChannel: { email: 1 } });
  });
});
