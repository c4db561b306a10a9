import { bootstrapService, loadConfig, ServiceProcess } from '@sladesk/messaging';
import { startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { IntakeModule } from '../src/app.module';
import { IntakeEnv } from '../src/config';

/**
 * The hand-off's safety-net sweep reads every case on FerretDB (at 100,000 cases FerretDB is busy for
 * minutes): the first start on a database sweeps at once, a restart within the interval does not
 * sweep again, and once the interval has passed since the last sweep (recorded in the database) the
 * next start sweeps.
 */
describe('intake: the delivery hand-off sweep is counted across restarts', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let db: mongoose.Connection;
  const mongoUrl = testMongoUrl('intake_sweep_mark');
  const sweeps: number[] = [];

  const start = () =>
    bootstrapService({
      service: 'intake',
      config: loadConfig(IntakeEnv, { NATS_URL: nats.url, MONGO_URL: mongoUrl, LOG_LEVEL: 'silent', SLADESK_SMTP_PORT: '0' }, {}),
      module: (runtime, config) => IntakeModule.forRoot(runtime, config),
      handleSignals: false,
    });
  /** Starts intake, lets its first hand-off passes run, stops it; returns how many sweeps it made. */
  const runOnce = async () => {
    const before = sweeps.length;
    const intake: ServiceProcess = await start();
    try {
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      await intake.stop();
    }
    return sweeps.length - before;
  };
  const mark = () => db.collection('intake_keys').findOne({ _id: 'meta:delivery-full-sweep' } as never) as Promise<{ at: Date; tookMs: number } | null>;

  beforeAll(async () => {
    nats = await startTestNats();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    mongoose.set('debug', (collection: string, method: string, filter: unknown) => {
      if (collection === 'cases' && method === 'find' && filter && typeof filter === 'object' && 'deliveries.nextAttemptAt' in filter) sweeps.push(Date.now());
    });
  });

  afterAll(async () => {
    mongoose.set('debug', false);
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  it('sweeps on the first start, not on a restart within the interval, and again once it has passed', async () => {
    expect(await runOnce()).toBe(1);
    const first = (await waitFor(mark, 'the sweep recorded'))!;
    expect(first.tookMs).toBeGreaterThanOrEqual(0);

    expect(await runOnce()).toBe(0);
    expect((await mark())!.at).toEqual(first.at);

    // The last sweep 16 minutes ago (the interval is 15): the next start sweeps, and records it.
    await db.collection('intake_keys').updateOne({ _id: 'meta:delivery-full-sweep' } as never, { $set: { at: new Date(Date.now() - 16 * 60_000) } });
    expect(await runOnce()).toBe(1);
    expect((await mark())!.at.getTime()).toBeGreaterThan(Date.now() - 60_000);
  }, 120_000);
});
