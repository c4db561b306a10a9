import { EventEnvelope } from '@sladesk/contracts';
import { OUTBOX_PENDING, OutboxRelay, WithOutbox } from '@sladesk/messaging';
import { mongo } from 'mongoose';
import { insertIgnoringDuplicates } from '../storage';

/** One event to publish, keyed by its id (writing the same event twice is one event). */
interface EventDoc extends WithOutbox {
  _id: string;
  /** Kept once published: the permanent record that this event id was emitted. */
  record?: boolean;
}

/**
 * The sla service's events on the shared outbox relay. sla derives its state from facts and its events
 * are deterministic (ids derived from the facts), so an event is not appended to a state document: it
 * is a small document of its own in `sla_outbox` (`_id` = eventId), which the relay publishes by `_id`
 * and then deletes, or keeps emptied as the record that it was emitted (`record`). `sla_emitted` holds
 * such records from before the relay took over.
 */
export class SlaOutbox {
  private readonly events: mongo.Collection<EventDoc>;
  private readonly emittedBefore: mongo.Collection<{ _id: string }>;

  constructor(
    db: mongo.Db,
    private readonly relay: OutboxRelay,
  ) {
    this.events = db.collection<EventDoc>('sla_outbox');
    this.emittedBefore = db.collection('sla_emitted');
    relay.register(this.events, { drained: 'delete' });
  }

  /** Stores events and hands them to the relay; an event id already stored is ignored. */
  async add(events: readonly EventEnvelope[], options: { record?: boolean } = {}): Promise<void> {
    if (events.length === 0) return;
    const now = new Date();
    const docs = events.map((env) => ({
      _id: env.eventId,
      outbox: [env],
      [OUTBOX_PENDING]: now,
      ...(options.record ? { record: true } : {}),
    }));
    await insertIgnoringDuplicates(this.events, docs as mongo.OptionalUnlessRequiredId<EventDoc>[]);
    this.relay.published(this.events, ...docs.map((d) => d._id));
  }

  /** Whether an event recorded with `record` was already published. */
  async wasEmitted(eventId: string): Promise<boolean> {
    const doc = await this.events.findOne({ _id: eventId }, { projection: { record: 1, outbox: 1 } });
    if (doc) return !!doc.record && (doc.outbox?.length ?? 0) === 0;
    return (await this.emittedBefore.findOne({ _id: eventId }, { projection: { _id: 1 } })) !== null;
  }

  /** The relay's lifecycle is the service's; at shutdown, publish what the last handlers added. */
  start(): void {}

  async stop(): Promise<void> {
    await this.relay.drain();
  }
}
