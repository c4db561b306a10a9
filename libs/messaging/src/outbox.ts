import { EventEnvelope, EventMap, EventSubject, makeEnvelope } from '@sladesk/contracts';
import { Logger } from '@nestjs/common';
import { Model, Schema } from 'mongoose';
import { currentContext } from './context';
import { Metrics } from './metrics';
import { NatsBus } from './nats-bus';

/** Add as `outbox: { type: [OutboxEntrySchema], default: [] }` to any schema whose changes emit events. */
export const OutboxEntrySchema = new Schema<EventEnvelope>(
  {
    eventId: { type: String, required: true },
    type: { type: String, required: true },
    occurredAt: { type: String, required: true },
    correlationId: { type: String, required: true },
    causationId: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
  },
  { _id: false },
);

export interface WithOutbox {
  outbox: EventEnvelope[];
}

/** A typed event for the outbox, correlated with the request or message being handled. */
export function outboxEvent<S extends EventSubject>(type: S, payload: EventMap[S], now = new Date()): EventEnvelope<EventMap[S]> & { type: S } {
  const ctx = currentContext();
  return makeEnvelope(type, payload, ctx ? { correlationId: ctx.correlationId, causationId: ctx.causationId } : {}, now);
}

/** The `$push` that appends events to a document in the same update that changes it. */
export const pushOutbox = (...events: EventEnvelope[]) => ({ outbox: { $each: events } });

export interface OutboxRelayOptions {
  /** How often to look for events left behind (by a crash, or another instance); default 1000 ms. */
  pollIntervalMs?: number;
  /** Documents read per pass; default 100. */
  batchSize?: number;
}

/**
 * Publishes the events that services appended to their documents, then removes them. An event is
 * removed only after JetStream acknowledged it, so a crash re-publishes it; the `Nats-Msg-Id`
 * (= eventId) and idempotent consumers make that harmless.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly models: Model<WithOutbox>[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private again = false;
  private stopped = true;

  constructor(
    private readonly bus: NatsBus,
    private readonly metrics: Metrics,
    private readonly options: OutboxRelayOptions = {},
  ) {}

  register<T extends WithOutbox>(model: Model<T>): void {
    const m = model as unknown as Model<WithOutbox>;
    if (!this.models.includes(m)) this.models.push(m);
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(tick, this.options.pollIntervalMs ?? 1000);
      this.timer.unref();
    };
    tick();
  }

  /** Asks for a pass now (after a write); passes never overlap. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((e) => {
        this.logger.warn(`outbox pass failed, will retry: ${(e as Error).message}`);
        return 0;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * Publishes everything pending, in order per document (documents in parallel), then removes exactly
   * the published envelopes with one `$pullAll` per batch: safe beside concurrent writers, which only
   * ever append, and one write per batch instead of one per event.
   */
  async drain(): Promise<number> {
    let total = 0;
    const batchSize = this.options.batchSize ?? 100;
    for (const model of this.models) {
      // The driver's collection, not the model: `$pullAll` needs the envelopes exactly as stored.
      const collection = model.collection;
      for (;;) {
        const docs = (await collection
          .find({ 'outbox.0': { $exists: true } }, { projection: { outbox: 1 } })
          .limit(batchSize)
          .toArray()) as unknown as { _id: unknown; outbox: EventEnvelope[] }[];
        if (!docs.length) break;
        await Promise.all(
          docs.map(async (doc) => {
            for (const envelope of doc.outbox) {
              await this.bus.publishEnvelope(envelope);
              this.metrics.outboxPublished.inc({ subject: envelope.type });
            }
          }),
        );
        await collection.updateMany(
          { _id: { $in: docs.map((d) => d._id) } } as object,
          { $pullAll: { outbox: docs.flatMap((d) => d.outbox) } } as object,
        );
        total += docs.reduce((n, d) => n + d.outbox.length, 0);
        if (docs.length < batchSize) break;
      }
    }
    return total;
  }

  /** Stops polling and publishes what is still pending (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.drain().catch((e) => this.logger.warn(`outbox flush at shutdown failed: ${(e as Error).message}`));
  }
}
