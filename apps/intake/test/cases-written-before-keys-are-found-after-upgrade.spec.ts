import { Rpc } from '@sladesk/contracts';
import { bootstrapService, loadConfig, NatsBus, ServiceProcess } from '@sladesk/messaging';
import { startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { IntakeModule } from '../src/app.module';
import { IntakeEnv } from '../src/config';

/**
 * A database written by a version without `intake_keys` (a case with an Idempotency-Key and a mail
 * thread, an account with a contact): after intake starts, a retry, a reply and a sender are found.
 */
describe('intake: data from before key documents', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let intake: ServiceProcess | undefined;
  let bus: NatsBus;
  let db: mongoose.Connection;
  const mongoUrl = testMongoUrl('intake_upgrade');
  const now = new Date('2026-11-20T10:00:00.000Z');

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.collection('accounts').insertOne({
      _id: 'old-acct', name: 'Old', timeZone: 'UTC', contacts: [{ name: 'Olga', email: 'olga@old.test' }], emailDomains: ['old.test'],
      version: 1, idempotencyScope: 'id:old-acct', requestHash: 'x', outbox: [], createdAt: now, updatedAt: now,
    } as never);
    await db.collection('cases').insertOne({
      _id: '019a0000-0000-7000-8000-000000000001', number: 7, accountId: 'old-acct', idempotencyScope: 'old-acct:retry-me',
      requestHash: 'h', contact: { name: 'Olga', email: 'olga@old.test' }, channel: 'email', subject: 'Old', description: 'd',
      analysis: '', severity: 'normal', category: 'other',
      classification: { severity: { source: 'default' }, category: { source: 'default' } }, status: 'open', receivedAt: now,
      reopenCount: 0, slaBreached: false, emailMessageIds: ['<old-thread@old.test>'], attachments: [], seq: 1, headHash: 'a'.repeat(64),
      timeline: [], deliveries: [], deliveryLog: [], outbox: [], createdAt: now, updatedAt: now,
    } as never);
    intake = await bootstrapService({
      service: 'intake',
      config: loadConfig(IntakeEnv, { NATS_URL: nats.url, MONGO_URL: mongoUrl, LOG_LEVEL: 'silent', SLADESK_SMTP_PORT: '0' }, {}),
      module: (runtime, config) => IntakeModule.forRoot(runtime, config),
      handleSignals: false,
    });
  });

  afterAll(async () => {
    await intake?.stop();
    await bus.close();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  it('writes the keys of existing cases, accounts and threads once, in the background', async () => {
    const keys = db.collection('intake_keys');
    await waitFor(() => keys.findOne({ _id: 'meta:backfilled-v1' } as never), 'backfill done');
    expect(await keys.findOne({ _id: 'scope:old-acct:retry-me' } as never)).toMatchObject({ caseId: '019a0000-0000-7000-8000-000000000001' });
    expect(await keys.findOne({ _id: 'number:7' } as never)).toMatchObject({ caseId: '019a0000-0000-7000-8000-000000000001' });
    expect(await keys.findOne({ _id: 'msgid:<old-thread@old.test>' } as never)).toMatchObject({ caseId: '019a0000-0000-7000-8000-000000000001' });
    expect(await keys.findOne({ _id: 'account-email:olga@old.test' } as never)).toMatchObject({ accountId: 'old-acct' });
  });

  it('answers a retry of the old request with the old case', async () => {
    const replay = await bus.request(Rpc.CaseCreate, {
      accountId: 'old-acct', contact: { name: 'Olga', email: 'olga@old.test' }, channel: 'api', subject: 'Other', description: 'other',
      idempotencyKey: 'retry-me',
    }).catch((e) => e);
    // The old case was created from another body: the key is recognised as used, not silently reused.
    expect(replay).toMatchObject({ code: 'IDEMPOTENCY.KEY_REUSED' });
  });
});
