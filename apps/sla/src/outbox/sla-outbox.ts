import { EventEnvelope } from '@sladesk/contracts';
import { Metrics, NatsBus } from '@sladesk/messaging';
import { Logger } from '@nestjs/common';
import { mongo } from 'mongoose';
import { insertIgnoringDuplicates } from '../storage';

interface OutboxDoc {
  _id: string;
  /** Insertion order, for publishing in order. */
  seq: number;
  env: EventEnvelope;
  /** Keep a permanent record of the event id once published (a redelivery or a refire never emits it twice). */
  record?: boolean;
  /** The instance that wrote it publishes it; the others only when it is left behind (that instance died). */
  owner: string;
}

/** An event not published by its writer within this time is published by any instance. */
const ORPHAN_AFTER_MS = 3000;


let counter = 0;

/**
 * The sla service's outbox: one small document per event to publish, keyed by the event id (so writing
 * the same event twice is one event), published with `Nats-Msg-Id = eventId`, then deleted.
 *
 * Not the shared OutboxRelay, which looks for documents with a non-empty `outbox` array: on FerretDB that
 * is a scan of every case, and its `$pop` races with our own writes to the same document. A collection of
 * pending events only stays small, and every write to it is a unique insert or a delete by id.
 */
export class SlaOutbox {
  private readonly logger = new Logger(SlaOutbox.name);
  private readonly pending: mongo.Collection<OutboxDoc>;
  private readonly emitted: mongo.Collection<{ _id: string; at: Date }>;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(
    db: mongo.Db,
    private readonly bus: NatsBus,
    private readonly metrics: Metrics,
    private readonly pollMs: number,
    private readonly owner: string,
  ) {
    this.pending = db.collection<OutboxDoc>('sla_outbox');
    this.emitted = db.collection('sla_emitted');
  }

  /** Stores events to publish; an event id already pending is ignored. */
  async add(events: readonly EventEnvelope[], options: { record?: boolean } = {}): Promise<void> {
    if (events.length === 0) return;
    const docs = events.map((env) => ({ _id: env.eventId, seq: Date.now() * 1000 + (counter++ % 1000), env, owner: this.owner, ...(options.record ? { record: true } : {}) }));
    await insertIgnoringDuplicates(this.pending, docs);
  }

  /** Whether an event recorded with `record` was already published. */
  async wasEmitted(eventId: string): Promise<boolean> {
    return (await this.emitted.findOne({ _id: eventId }, { projection: { _id: 1 } })) !== null;
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(loop, this.pollMs);
    };
    loop();
  }

  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((e) => this.logger.warn(`sla outbox pass failed, will retry: ${(e as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async drain(): Promise<void> {
    for (;;) {
      const found = await this.pending.find({}).limit(500).toArray();
      const orphaned = (Date.now() - ORPHAN_AFTER_MS) * 1000;
      const docs = found.filter((d) => d.owner === this.owner || d.seq < orphaned);
      if (docs.length === 0) return;
      docs.sort((a, b) => a.seq - b.seq);
      // Sent in order on one connection; JetStream stores them in that order.
      await Promise.all(docs.map((d) => this.bus.publishEnvelope(d.env)));
      for (const d of docs) this.metrics.outboxPublished.inc({ subject: d.env.type });
      const records = docs.filter((d) => d.record).map((d) => ({ _id: d._id, at: new Date() }));
      await insertIgnoringDuplicates(this.emitted, records);
      await Promise.all(docs.map((d) => this.pending.deleteOne({ _id: d._id })));
      if (found.length < 500) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.drain().catch((e) => this.logger.warn(`sla outbox flush at shutdown failed: ${(e as Error).message}`));
  }
}
