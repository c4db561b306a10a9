import { CaseOpenedPayload, EventEnvelope, Events, RpcReply } from '@sladesk/contracts';
import { DeadLetter, encodeJson, NatsBus, ServiceProcess } from '../src';
import { startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import mongoose from 'mongoose';
import { caseOpened, startTestService } from './fixtures';

const seen: EventEnvelope<CaseOpenedPayload & Record<string, unknown>>[] = [];

@Controller()
class Handlers {
  /** Answers with as many bytes as asked: past the NATS max_payload, the reply itself cannot be sent. */
  @MessagePattern('sladesk.rpc.test.blob.v1')
  blob(@Payload() q: { bytes: number }): { blob: string } {
    return { blob: 'x'.repeat(q.bytes) };
  }

  @EventPattern(Events.CaseOpened)
  opened(@Payload() e: EventEnvelope<CaseOpenedPayload & Record<string, unknown>>): void {
    seen.push(e);
  }
}

describe('JetStreamServer: no answer and no event can take the process down', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let service: ServiceProcess;
  let bus: NatsBus;
  let db: mongoose.Connection;
  const mongoUrl = testMongoUrl('replies');

  beforeAll(async () => {
    nats = await startTestNats();
    service = await startTestService(nats.url, mongoUrl, [Handlers]);
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

  const ask = async (bytes: number) =>
    (await bus.nc.request('sladesk.rpc.test.blob.v1', encodeJson({ bytes }), { timeout: 5000 })).json<RpcReply<{ blob: string }>>();

  it('answers a reply too large for NATS with REPLY.TOO_LARGE, and keeps answering', async () => {
    const max = bus.nc.info!.max_payload;
    const tooBig = await ask(max + 10);
    expect(tooBig).toMatchObject({ ok: false, error: { code: 'REPLY.TOO_LARGE', details: { maxPayload: max } } });
    const fine = await ask(1000);
    expect(fine.ok && fine.data.blob.length).toBe(1000);
  });

  it('reads an event carrying a field it does not know, without it, instead of dead-lettering it', async () => {
    const event = caseOpened({ caseId: 'newer-writer' });
    await bus.publishEnvelope({ ...event, payload: { ...event.payload, addedLater: { by: 'a newer intake' } } });
    const got = (await waitFor(() => seen.find((e) => e.eventId === event.eventId), 'the event handled'))!;
    expect(got.payload.caseId).toBe('newer-writer');
    expect(got.payload.addedLater).toBeUndefined();
    expect(await db.collection<DeadLetter>('dead_letters').findOne({ eventId: event.eventId })).toBeNull();
  });
});
