import { EventEnvelope, Streams } from '@sladesk/contracts';
import { Metrics, NatsBus, OutboxEntrySchema, OutboxRelay } from '../src';
import { startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose, { Schema } from 'mongoose';
import { caseOpened } from './fixtures';

interface Doc {
  _id: string;
  n: number;
  outbox: EventEnvelope[];
}

describe('OutboxRelay', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let model: mongoose.Model<Doc>;

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(testMongoUrl('outbox')).asPromise();
    model = db.model<Doc>('Doc', new Schema<Doc>({ _id: String, n: Number, outbox: [OutboxEntrySchema] }));
  });

  afterAll(async () => {
    await bus.close();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  const streamCount = async () => (await bus.jsm.streams.info(Streams.Events.name)).state.messages;

  it('publishes events appended with a change, in order, then removes them from the document', async () => {
    const a = caseOpened({ caseId: 'a' });
    const b = caseOpened({ caseId: 'b' });
    await model.create({ _id: 'd1', n: 1, outbox: [a, b] });
    const relay = new OutboxRelay(bus, new Metrics('test'));
    relay.register(model);
    relay.start();
    await waitFor(async () => (await model.findById('d1').lean())!.outbox.length === 0, 'outbox emptied');
    await relay.stop();

    expect(await streamCount()).toBe(2);
    const first = await bus.jsm.streams.getMessage(Streams.Events.name, { seq: 1 });
    const second = await bus.jsm.streams.getMessage(Streams.Events.name, { seq: 2 });
    expect(first!.json<EventEnvelope>().eventId).toBe(a.eventId);
    expect(second!.json<EventEnvelope>().eventId).toBe(b.eventId);
    expect(first!.header.get('Nats-Msg-Id')).toBe(a.eventId);
  });

  it('re-publishing an event (crash between publish and removal) is dropped by JetStream', async () => {
    const c = caseOpened({ caseId: 'c' });
    await model.create({ _id: 'd2', n: 2, outbox: [c] });
    // The first relay published but "died" before removing the event from the document.
    await bus.publishEnvelope(c);
    const before = await streamCount();

    const relay = new OutboxRelay(bus, new Metrics('test'));
    relay.register(model);
    expect(await relay.drain()).toBe(1);
    expect(await streamCount()).toBe(before);
    expect((await model.findById('d2').lean())!.outbox).toHaveLength(0);
    expect((await bus.publishEnvelope(c)).duplicate).toBe(true);
  });

  it('loses neither a change nor an event when writers append while the relay drains', async () => {
    await model.create({ _id: 'd3', n: 0, outbox: [] });
    const relay = new OutboxRelay(bus, new Metrics('test'), { pollIntervalMs: 5 });
    relay.register(model);
    relay.start();
    const before = await streamCount();
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const e = caseOpened({ caseId: `w${i}` });
        ids.push(e.eventId);
        await model.updateOne({ _id: 'd3' }, { $inc: { n: 1 }, $push: { outbox: e } });
        relay.kick();
      }),
    );
    await waitFor(async () => (await model.findById('d3').lean())!.outbox.length === 0, 'outbox emptied');
    await relay.stop();
    expect((await model.findById('d3').lean())!.n).toBe(50);
    expect((await streamCount()) - before).toBe(50);
  });
});
