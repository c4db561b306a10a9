import { EventEnvelope, Streams } from '@sladesk/contracts';
import { Metrics, NatsBus, OUTBOX_PENDING, OutboxEntrySchema, outboxPlugin, OutboxRelay } from '../src';
import { startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose, { Schema } from 'mongoose';
import { caseOpened } from './fixtures';

interface Doc {
  _id: string;
  n: number;
  outbox: EventEnvelope[];
  outboxPendingSince?: Date;
}

describe(OutboxRelay.name, () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let db: mongoose.Connection;
  let model: mongoose.Model<Doc>;

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(testMongoUrl('outbox')).asPromise();
    const schema = new Schema<Doc>({ _id: String, n: Number, outbox: [OutboxEntrySchema] });
    schema.plugin(outboxPlugin);
    model = db.model<Doc>('Doc', schema);
  });

  afterAll(async () => {
    await bus.close();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  const streamCount = async () => (await bus.jsm.streams.info(Streams.Events.name)).state.messages;
  const relayOf = (opts = {}) => {
    const relay = new OutboxRelay(bus, new Metrics('test'), { retryMs: 50, ...opts });
    relay.register(model);
    return relay;
  };

  it('publishes the events a write hands over, in order, then clears the outbox and its pending marker', async () => {
    const a = caseOpened({ caseId: 'a' });
    const b = caseOpened({ caseId: 'b' });
    const before = await streamCount();
    await model.create({ _id: 'd1', n: 1, outbox: [a, b] });
    expect((await model.findById('d1').lean())![OUTBOX_PENDING]).toBeInstanceOf(Date); // set by the plugin
    const relay = relayOf();
    relay.published(model, 'd1');
    await relay.idle();

    const doc = (await model.findById('d1').lean())!;
    expect(doc.outbox).toHaveLength(0);
    expect(doc[OUTBOX_PENDING]).toBeUndefined();
    expect((await streamCount()) - before).toBe(2);
    const first = await bus.jsm.streams.getMessage(Streams.Events.name, { seq: before + 1 });
    const second = await bus.jsm.streams.getMessage(Streams.Events.name, { seq: before + 2 });
    expect(first!.json<EventEnvelope>().eventId).toBe(a.eventId);
    expect(second!.json<EventEnvelope>().eventId).toBe(b.eventId);
    expect(first!.header.get('Nats-Msg-Id')).toBe(a.eventId);
  });

  it('finds what a crash left behind through the pending marker, and a re-publish is dropped by JetStream', async () => {
    const c = caseOpened({ caseId: 'c' });
    await model.create({ _id: 'd2', n: 2, outbox: [c] });
    // The first relay published but "died" before removing the event from the document.
    await bus.publishEnvelope(c);
    const before = await streamCount();

    const relay = relayOf();
    expect(await relay.drain()).toBeGreaterThanOrEqual(1);
    expect(await streamCount()).toBe(before);
    expect((await model.findById('d2').lean())!.outbox).toHaveLength(0);
    expect((await bus.publishEnvelope(c)).duplicate).toBe(true);
  });

  it('loses neither a change nor an event when writers append while the relay publishes', async () => {
    await model.create({ _id: 'd3', n: 0, outbox: [] });
    const relay = relayOf();
    const before = await streamCount();
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await model.updateOne({ _id: 'd3' }, { $inc: { n: 1 }, $push: { outbox: caseOpened({ caseId: `w${i}` }) } });
        relay.published(model, 'd3');
      }),
    );
    await relay.idle();
    const doc = (await model.findById('d3').lean())!;
    expect(doc.n).toBe(50);
    expect(doc.outbox).toHaveLength(0);
    expect(doc[OUTBOX_PENDING]).toBeUndefined();
    expect((await streamCount()) - before).toBe(50);
  });

  it('keeps publishing other documents while one keeps failing, and retries that one', async () => {
    // No stream takes this subject: JetStream refuses the publish.
    const poison = { ...caseOpened({ caseId: 'p' }), type: 'sladesk.nowhere.v1' };
    await model.create({ _id: 'bad', n: 0, outbox: [poison] });
    const good = Array.from({ length: 10 }, (_, i) => caseOpened({ caseId: `g${i}` }));
    await Promise.all(good.map((e, i) => model.create({ _id: `good${i}`, n: 0, outbox: [e] })));
    const before = await streamCount();
    const metrics = new Metrics('test');
    const relay = new OutboxRelay(bus, metrics, { retryMs: 50, sweepIntervalMs: 60_000 });
    relay.register(model);
    relay.start();
    relay.published(model, 'bad', ...good.map((_, i) => `good${i}`));

    await waitFor(async () => (await streamCount()) - before === 10, 'the ten good events published');
    const cleared = async () => (await Promise.all(good.map((_, i) => model.findById(`good${i}`).lean()))).every((d) => d!.outbox.length === 0);
    await waitFor(cleared, 'the ten good documents cleared');
    // The failing one is retried with backoff, and stays pending until it can go out.
    await waitFor(async () => ((await metrics.outboxFailures.get()).values[0]?.value ?? 0) >= 3, 'three failed attempts');
    expect((await model.findById('bad').lean())!.outbox).toHaveLength(1);
    await relay.stop();
    await model.deleteOne({ _id: 'bad' });
  });

  it('sweeps after a relay that stopped beating, and reads no collection while every relay beats', async () => {
    // Its own database: the pending marker query of a sweep is what we look for.
    const conn = await mongoose.createConnection(testMongoUrl('outbox_beats'), { monitorCommands: true }).asPromise();
    const schema = new Schema<Doc>({ _id: String, n: Number, outbox: [OutboxEntrySchema] });
    schema.plugin(outboxPlugin);
    const docs = conn.model<Doc>('Doc', schema);
    await docs.createCollection();
    const sweeps: string[] = [];
    conn.getClient().on('commandStarted', (e: { commandName: string; command: Record<string, unknown> }) => {
      const filter = (e.command.filter ?? {}) as Record<string, unknown>;
      if (e.commandName === 'find' && e.command.find === docs.collection.collectionName && OUTBOX_PENDING in filter) sweeps.push(new Date().toISOString());
    });
    const relayOn = () => {
      // The default grace (5 s): what a relay wrote just before dying is younger than that when it is found.
      const r = new OutboxRelay(bus, new Metrics('test'), { retryMs: 50, sweepIntervalMs: 600 });
      r.register(docs);
      return r;
    };
    const live = relayOn();
    live.start();
    await waitFor(() => sweeps.length === 1, 'the one first sweep of a collection never swept'); // then never again while all beat
    const dying = relayOn();
    dying.start();
    // The dying instance wrote with events and crashed before publishing (it never handed the id over).
    const lost = caseOpened({ caseId: 'left-behind' });
    await docs.create({ _id: 'orphan', n: 1, outbox: [lost] });
    await new Promise((r) => setTimeout(r, 1500)); // both beat several times: no sweep yet
    expect(sweeps).toHaveLength(1);
    await (dying as unknown as { watch: { stop(): Promise<void> } }).watch.stop(); // SIGKILL: beats stop, nothing flushed

    await waitFor(async () => (await docs.findById('orphan').lean())!.outbox.length === 0, 'the orphan published by the live relay', 10_000);
    expect(sweeps.length).toBe(2);
    const sub = await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: lost.type });
    expect(sub!.json<EventEnvelope>().eventId).toBe(lost.eventId);
    const relays = await conn.collection('outbox_relays').find({ beat: { $exists: true } }).toArray();
    expect(relays).toHaveLength(1); // the dead one's heartbeat removed
    await live.stop();
    expect(await conn.collection('outbox_relays').countDocuments({ beat: { $exists: true } })).toBe(0); // a clean stop leaves none
    await conn.dropDatabase();
    await conn.close();
  });

  it("leaves a dead relay's collections that it does not write to a relay that does (services share the heartbeats)", async () => {
    const conn = await mongoose.createConnection(testMongoUrl('outbox_beats_shared')).asPromise();
    const schemaOf = () => {
      const schema = new Schema<Doc>({ _id: String, n: Number, outbox: [OutboxEntrySchema] });
      schema.plugin(outboxPlugin);
      return schema;
    };
    const cases = conn.model<Doc>('Case', schemaOf(), 'cases');
    const clocks = conn.model<Doc>('Clock', schemaOf(), 'clocks');
    // Written by both services (as every user of @sladesk/outbound writes `outbound_outcomes`).
    const shared = conn.model<Doc>('Shared', schemaOf(), 'shared');
    await cases.createCollection();
    await clocks.createCollection();
    await shared.createCollection();
    // Another service's relay, beating often and quick to call a silent relay dead: it can sweep the
    // shared collection, not `cases`.
    const other = new OutboxRelay(bus, new Metrics('test'), { retryMs: 50, sweepIntervalMs: 300 });
    other.register(clocks);
    other.register(shared);
    other.start();
    const owner = new OutboxRelay(bus, new Metrics('test'), { retryMs: 50, sweepIntervalMs: 1500 });
    owner.register(cases);
    owner.start();
    const dying = new OutboxRelay(bus, new Metrics('test'), { retryMs: 50, sweepIntervalMs: 1500 });
    dying.register(cases);
    dying.register(shared);
    dying.start();
    await waitFor(async () => (await conn.collection('outbox_relays').countDocuments({ beat: { $exists: true } })) === 3, 'three relays beating');
    const lost = caseOpened({ caseId: 'left-behind-shared' });
    await cases.create({ _id: 'orphan-shared', n: 1, outbox: [lost] });
    await (dying as unknown as { watch: { stop(): Promise<void> } }).watch.stop(); // SIGKILL: beats stop, nothing flushed

    await waitFor(async () => (await cases.findById('orphan-shared').lean())!.outbox.length === 0, "the orphan published by its own service's relay", 15_000);
    const sub = await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: lost.type });
    expect(sub!.json<EventEnvelope>().eventId).toBe(lost.eventId);
    await waitFor(async () => (await conn.collection('outbox_relays').countDocuments({ beat: { $exists: true } })) === 2, "the dead relay's heartbeat removed once swept");
    await other.stop();
    await owner.stop();
    await conn.dropDatabase();
    await conn.close();
  });

  it('deletes event documents once published, keeping the ones marked as a record', async () => {
    const events = db.collection('events_only') as unknown as mongoose.mongo.Collection<Doc>;
    const relay = new OutboxRelay(bus, new Metrics('test'));
    relay.register(events, { drained: 'delete' });
    const kept = caseOpened({ caseId: 'k' });
    const gone = caseOpened({ caseId: 'x' });
    await events.insertMany([
      { _id: kept.eventId, outbox: [kept], [OUTBOX_PENDING]: new Date(), record: true },
      { _id: gone.eventId, outbox: [gone], [OUTBOX_PENDING]: new Date() },
    ] as never[]);
    relay.published(events, kept.eventId, gone.eventId);
    await relay.idle();
    expect(await events.findOne({ _id: gone.eventId } as never)).toBeNull();
    expect(await events.findOne({ _id: kept.eventId } as never)).toMatchObject({ record: true, outbox: [] });
  });
});
