import { CaseOpenedPayload, EventEnvelope, Events, Streams } from '@sladesk/contracts';
import { consumerName, DeadLetter, NatsBus, ServiceProcess } from '../src';
import { startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import mongoose from 'mongoose';
import { caseOpened, startTestService } from './fixtures';

const calls: { eventId: string; at: number }[] = [];

@Controller()
class SometimesFailingHandler {
  @EventPattern(Events.CaseOpened)
  handle(@Payload() event: EventEnvelope<CaseOpenedPayload>): void {
    calls.push({ eventId: event.eventId, at: Date.now() });
    if (event.payload.caseId.startsWith('fail')) throw new Error('boom');
  }
}

describe('JetStreamServer: failures, backoff and dead letters', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let service: ServiceProcess;
  let bus: NatsBus;
  let db: mongoose.Connection;
  const mongoUrl = testMongoUrl('dlq');
  const durable = consumerName('reporting', Events.CaseOpened);

  beforeAll(async () => {
    nats = await startTestNats();
    service = await startTestService(nats.url, mongoUrl, [SometimesFailingHandler], { maxDeliver: 3, backoffBaseMs: 200 });
    bus = await NatsBus.connect(nats.url, 'test');
    db = await mongoose.createConnection(mongoUrl).asPromise();
  });

  afterAll(async () => {
    await service.stop();
    await bus.close();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  const deadLetters = () => db.collection<DeadLetter>('dead_letters');

  it('redelivers a failing event with growing backoff, then dead-letters it after maxDeliver', async () => {
    const event = caseOpened({ caseId: 'fail-1' });
    await bus.publish(event);

    const letter = await waitFor(() => deadLetters().findOne({ eventId: event.eventId }), 'dead letter', 20_000);
    const attempts = calls.filter((c) => c.eventId === event.eventId);
    expect(attempts).toHaveLength(3);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(190);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(390);
    expect(letter).toMatchObject({ consumer: durable, subject: Events.CaseOpened, deliveries: 3 });
    expect(letter!.reason).toContain('boom');

    const dlq = await bus.jsm.streams.getMessage(Streams.DeadLetters.name, {
      last_by_subj: `sladesk.dlq.${durable}.${Events.CaseOpened}`,
    });
    expect(dlq!.json<EventEnvelope>().eventId).toBe(event.eventId);
    expect(dlq!.header.get('Sladesk-Dead-Reason')).toContain('boom');

    // Terminated: no fourth delivery arrives later.
    await new Promise((r) => setTimeout(r, 1000));
    expect(calls.filter((c) => c.eventId === event.eventId)).toHaveLength(3);
  });

  it('dead-letters a malformed message at once and keeps consuming', async () => {
    const before = calls.length;
    await bus.js.publish(Events.CaseOpened, new TextEncoder().encode('{not json'));
    await bus.js.publish(Events.CaseOpened, new TextEncoder().encode(JSON.stringify({ eventId: 'x' })));
    const wrongPayload = caseOpened({ severity: 'apocalyptic' as never });
    await bus.publish(wrongPayload);
    const good = caseOpened({ caseId: 'ok-1' });
    await bus.publish(good);

    await waitFor(() => calls.some((c) => c.eventId === good.eventId), 'the good event');
    await waitFor(async () => (await deadLetters().countDocuments({ reason: { $not: /boom/ } })) === 3, 'three dead letters');
    const reasons = (await deadLetters().find({ reason: { $not: /boom/ } }).toArray()).map((d) => d.reason).sort();
    expect(reasons[0]).toMatch(/^envelope\./);
    expect(reasons[1]).toMatch(/^invalid payload/);
    expect(reasons[2]).toBe('payload is not JSON');
    for (const d of await deadLetters().find({ reason: { $not: /boom/ } }).toArray()) expect(d.deliveries).toBe(1);
    // Only the good event reached the handler.
    expect(calls.slice(before).map((c) => c.eventId)).toEqual([good.eventId]);
  });

  it('counts dead letters in the metrics', async () => {
    const json = await service.runtime.metrics.registry.getSingleMetric('sladesk_dead_letters_total')!.get();
    const total = json.values.reduce((n, v) => n + v.value, 0);
    expect(total).toBe(4);
  });
});
