import { CaseEvents, CaseOpenedPayload, EventEnvelope, makeEnvelope } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { startTestNats, waitFor } from '@sladesk/testing';
import { RunningConsumer, startConsumer } from '../src/consumer';

/** The example consumer against a real NATS server, fed by the platform's own publisher. */
describe('the example NATS consumer', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let consumer: RunningConsumer | undefined;
  const opened = (n: number): CaseOpenedPayload => ({
    caseId: `case-${n}`,
    number: n,
    accountId: 'acme',
    channel: 'api',
    severity: 'high',
    category: 'technical',
    receivedAt: new Date().toISOString(),
  });
  const publish = (n: number) => bus.publish(makeEnvelope(CaseEvents.CaseOpened, opened(n), { correlationId: `corr-${n}` }));

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test-publisher');
    await bus.ensureStreams(); // what every service does at start
  });
  afterAll(async () => {
    await consumer?.stop();
    await bus.close();
    await nats.cleanup();
  });

  it('receives case.opened typed by the contracts, as a durable consumer that resumes where it stopped', async () => {
    const seen: EventEnvelope<CaseOpenedPayload>[] = [];
    let failOnce = true;
    const start = () =>
      startConsumer({
        natsUrl: nats.url,
        durable: 'example-test',
        retryMs: 50,
        log: () => undefined,
        handlers: {
          [CaseEvents.CaseOpened]: (e) => {
            if (e.payload.number === 2 && failOnce) {
              failOnce = false;
              throw new Error('a hiccup'); // redelivered after retryMs
            }
            seen.push(e);
          },
        },
      });

    await publish(1); // before the consumer exists: DeliverPolicy.All still delivers it
    consumer = await start();
    await publish(2);
    await waitFor(() => seen.length === 2, 'two case.opened events');
    expect(seen.map((e) => [e.type, e.payload.number, e.correlationId])).toEqual([
      [CaseEvents.CaseOpened, 1, 'corr-1'],
      [CaseEvents.CaseOpened, 2, 'corr-2'],
    ]);
    expect(failOnce).toBe(false);

    await consumer.stop();
    await publish(3); // while it is down
    consumer = await start();
    await waitFor(() => seen.length === 3, 'the event published while it was stopped');
    expect(seen.map((e) => e.payload.number)).toEqual([1, 2, 3]); // acknowledged ones are not redelivered
  });
});
