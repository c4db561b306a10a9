import { EventEnvelope } from '@sladesk/contracts';
import { Metrics, NatsBus, WithOutbox } from '@sladesk/messaging';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Collection, Model } from 'mongoose';

const BATCH = 200;
const PASS_GAP_MS = 100;

/**
 * Serialises this process's updates of existing documents, and relays their outbox under the same
 * lock. FerretDB 1.24 (SQLite and PostgreSQL backends alike) applies an update as read-then-write
 * without isolation: two concurrent updates of one document lose one of them, and a conditional
 * update (`{ _id, seq }`) can succeed twice. Measured: 44 of 50 racing conditional updates both
 * "won". On MongoDB the lock is merely redundant. Several intake instances on FerretDB still race.
 *
 * The relay publishes a batch of documents' events, then removes exactly those envelopes with one
 * `$pullAll` per batch (safe beside other writers: only published elements go). On FerretDB every
 * update scans the collection, so one update per batch instead of one per event is what lets the
 * events keep up with the writes.
 */
@Injectable()
export class IntakeWrites implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IntakeWrites.name);
  private readonly collections: Collection[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(
    private readonly bus: NatsBus,
    private readonly metrics: Metrics,
  ) {}

  /** Runs `fn` when no other update (or outbox pass) of this process is running. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  register<T extends WithOutbox>(model: Model<T>): void {
    this.collections.push(model.collection);
  }

  /** Publishes every pending event, in order per document; returns how many went out. */
  async drain(): Promise<number> {
    let total = 0;
    for (const collection of this.collections) {
      for (;;) {
        // The driver's collection, not the model: envelopes must come back exactly as stored for `$pullAll`.
        const docs = (await collection
          .find({ 'outbox.0': { $exists: true } }, { projection: { outbox: 1 } })
          .limit(BATCH)
          .toArray()) as unknown as { _id: string; outbox: EventEnvelope[] }[];
        if (docs.length === 0) break;
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
        if (docs.length < BATCH) break;
      }
    }
    return total;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(tick, 1000);
      this.timer.unref();
    };
    tick();
  }

  /** Publishes pending events soon (after a write). */
  kick(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.exclusive(() => this.drain())
      .then(() => undefined)
      .catch((e) => this.logger.warn(`outbox pass failed, will retry: ${(e as Error).message}`))
      .finally(() => {
        this.draining = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          // Under load, passes come at most every PASS_GAP_MS: each one scans the collection on FerretDB.
          setTimeout(() => this.kick(), PASS_GAP_MS).unref();
        }
      });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.draining;
    await this.exclusive(() => this.drain()).catch((e) => this.logger.warn(`outbox flush at shutdown failed: ${(e as Error).message}`));
  }
}
