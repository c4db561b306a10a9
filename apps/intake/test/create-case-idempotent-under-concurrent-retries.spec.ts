import { CreateCaseCommand, Events, Rpc, Streams } from '@sladesk/contracts';
import { bootstrapService, loadConfig, NatsBus, ServiceProcess } from '@sladesk/messaging';
import { startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { IntakeModule } from '../src/app.module';
import { IntakeEnv } from '../src/config';

describe('intake: creating cases', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let intake: ServiceProcess;
  let bus: NatsBus;
  let db: mongoose.Connection;
  const mongoUrl = testMongoUrl('intake_create');

  const cmd = (over: Partial<CreateCaseCommand> = {}): CreateCaseCommand => ({
    accountId: 'acme',
    contact: { name: 'Grace', email: 'grace@acme.test' },
    channel: 'api',
    subject: 'Reports are empty',
    description: 'Since the update.',
    ...over,
  });

  beforeAll(async () => {
    nats = await startTestNats();
    intake = await bootstrapService({
      service: 'intake',
      config: loadConfig(IntakeEnv, { NATS_URL: nats.url, MONGO_URL: mongoUrl, LOG_LEVEL: 'silent', SLADESK_SMTP_PORT: '0' }, {}),
      module: (runtime, config) => IntakeModule.forRoot(runtime, config),
      handleSignals: false,
    });
    bus = await NatsBus.connect(nats.url, 'test');
    db = await mongoose.createConnection(mongoUrl).asPromise();
    for (const id of ['acme', 'a1', 'a2']) await bus.request(Rpc.AccountCreate, { id, name: id, timeZone: 'UTC' });
  });

  afterAll(async () => {
    await intake.stop();
    await bus.close();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  it('gives concurrent retries with one Idempotency-Key one case and one event', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => bus.request(Rpc.CaseCreate, cmd({ idempotencyKey: 'k-1' }))),
    );
    expect(new Set(replies.map((r) => r.id)).size).toBe(1);
    expect(await db.collection('cases').countDocuments({ subject: 'Reports are empty' })).toBe(1);
    await waitFor(
      async () => (await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.CaseOpened }).catch(() => null)) !== null,
      'case.opened',
    );
    // Both of its events (case.opened, case.timeline-appended) leave the outbox.
    await waitFor(async () => (await db.collection('cases').countDocuments({ 'outbox.0': { $exists: true }, subject: 'Reports are empty' })) === 0, 'outbox drained');
    const info = await bus.jsm.streams.info(Streams.Events.name, { subjects_filter: Events.CaseOpened });
    expect(info.state.subjects?.[Events.CaseOpened]).toBe(1);
    const msg = await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.CaseOpened });
    expect(msg!.json<{ payload: { caseId: string } }>().payload.caseId).toBe(replies[0].id);
  });

  it('scopes Idempotency-Keys per account', async () => {
    const a = await bus.request(Rpc.CaseCreate, cmd({ accountId: 'a1', idempotencyKey: 'shared' }));
    const b = await bus.request(Rpc.CaseCreate, cmd({ accountId: 'a2', idempotencyKey: 'shared' }));
    expect(a.id).not.toBe(b.id);
  });

  it('refuses a case for an account that does not exist', async () => {
    await expect(bus.request(Rpc.CaseCreate, cmd({ accountId: 'ghost' }))).rejects.toMatchObject({ code: 'ACCOUNT.NOT_FOUND' });
    expect(await db.collection('cases').countDocuments({ accountId: 'ghost' })).toBe(0);
  });

  it('numbers cases in order, defaults severity and category, and keeps receivedAt', async () => {
    const first = await bus.request(Rpc.CaseCreate, cmd({ receivedAt: '2026-11-20T13:30:00.000Z' }));
    const second = await bus.request(Rpc.CaseCreate, cmd());
    expect(second.number).toBeGreaterThan(first.number);
    expect(first).toMatchObject({ severity: 'normal', category: 'other', status: 'new', receivedAt: '2026-11-20T13:30:00.000Z' });
  });

  it('publishes the appended entries with their texts and sources (case.timeline-appended)', async () => {
    const c = await bus.request(Rpc.CaseCreate, cmd({ subject: 'Texts travel', description: 'The whole description.', idempotencyKey: 'texts-1' }));
    type Appended = { payload: { caseId: string; entries: { seq: number; kind: string; text: string; hash: string }[] } };
    const m = await waitFor(async () => {
      const last = await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.CaseTimelineAppended }).catch(() => null);
      return last?.json<Appended>().payload.caseId === c.id ? last : null;
    }, 'case.timeline-appended of the new case');
    const payload = m!.json<Appended>().payload;
    expect(payload.entries[0]).toMatchObject({ seq: 1, kind: 'opened', text: 'The whole description.', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const timeline = await bus.request(Rpc.CaseTimeline, { id: c.id });
    expect(payload.entries[0].hash).toBe(timeline.entries[0].hash);
  });

  it('leaves no event behind in the outbox once published', async () => {
    await waitFor(async () => (await db.collection('cases').countDocuments({ 'outbox.0': { $exists: true } })) === 0, 'outbox drained');
  });
});
