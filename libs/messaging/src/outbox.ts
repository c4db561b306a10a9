import { EventEnvelope, EventMap, EventSubject, makeEnvelope } from '@sladesk/contracts';
import { Logger } from '@nestjs/common';
import { Model, mongo, Schema } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { currentContext } from './context';
import { Metrics } from './metrics';
import { NatsBus } from './nats-bus';
import { BACKGROUND_SCAN_SHARE, SingleFlight } from './single-flight';

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

/**
 * Set in the write that appends events, removed once they are all published: the sweep that finds
 * events left behind by a crash reads this indexed field (on MongoDB that is O(pending), never a scan
 * of every document that ever emitted something).
 */
export const OUTBOX_PENDING = 'outboxPendingSince';

export interface WithOutbox {
  outbox: EventEnvelope[];
  outboxPendingSince?: Date;
}

type AnyUpdate = { $set?: Record<string, unknown>; $push?: Record<string, unknown>; outbox?: unknown[] } | null;

/** Whether an update appends to, or replaces, the outbox with something. */
const addsEvents = (u: AnyUpdate): boolean =>
  !!u && (u.$push?.outbox !== undefined || (Array.isArray(u.outbox) && u.outbox.length > 0));

/**
 * Mongoose plugin for schemas that carry an `outbox`: declares the pending marker with its index and
 * sets it in every write that adds events (create, insertMany, updates that `$push` to `outbox`), so
 * no writer can forget it.
 */
export function outboxPlugin(schema: Schema): void {
  if (!schema.path('outbox')) throw new Error('outboxPlugin: the schema has no `outbox` path');
  schema.add({ [OUTBOX_PENDING]: { type: Date } });
  schema.index({ [OUTBOX_PENDING]: 1 });
  schema.pre('save', function () {
    const doc = this as unknown as WithOutbox;
    if (doc.outbox?.length && !doc.outboxPendingSince) doc.outboxPendingSince = new Date();
  });
  schema.pre('insertMany', function (next: (err?: Error) => void, docs: WithOutbox[]) {
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      if (doc?.outbox?.length && !doc.outboxPendingSince) doc.outboxPendingSince = new Date();
    }
    next();
  });
  schema.pre(['updateOne', 'updateMany', 'findOneAndUpdate'], function () {
    const update = this.getUpdate() as AnyUpdate;
    if (addsEvents(update)) this.setUpdate({ ...update, $set: { ...(update!.$set ?? {}), [OUTBOX_PENDING]: new Date() } });
  });
}

/** A typed event for the outbox, correlated with the request or message being handled. */
export function outboxEvent<S extends EventSubject>(type: S, payload: EventMap[S], now = new Date()): EventEnvelope<EventMap[S]> & { type: S } {
  const ctx = currentContext();
  return makeEnvelope(type, payload, ctx ? { correlationId: ctx.correlationId, causationId: ctx.causationId } : {}, now);
}

type Update = Record<string, unknown> & { $set?: Record<string, unknown>; $push?: Record<string, unknown> };

/** `update` plus the events it causes, appended to the document's outbox in the same single-document write. */
export function withEvents<U extends object>(update: U, events: readonly EventEnvelope[], now = new Date()): U {
  if (events.length === 0) return update;
  const u = update as Update;
  return {
    ...u,
    $push: { ...(u.$push ?? {}), outbox: { $each: [...events] } },
    $set: { ...(u.$set ?? {}), [OUTBOX_PENDING]: now },
  } as U;
}

/** The outbox fields of a new document that carries `events`. */
export const outboxFields = (events: readonly EventEnvelope[], now = new Date()): WithOutbox =>
  events.length ? { outbox: [...events], [OUTBOX_PENDING]: now } : { outbox: [] };

export interface OutboxRelayOptions {
  /**
   * How soon the events a crashed instance left behind are found: an instance whose heartbeat is
   * older than this is dead, and the collections it wrote are swept; default 30 s.
   */
  sweepIntervalMs?: number;
  /**
   * A full sweep of every registered collection this often whatever the heartbeats say (a safety net
   * for a write whose `_id` was not handed over); default 15 min. On MongoDB the pending marker's
   * index makes it O(pending); on FerretDB 1.24 it reads the whole collection, hence the slow pace.
   */
  fullSweepMs?: number;
  /** A pending document younger than this is left to the instance that wrote it; default 5 s. */
  graceMs?: number;
  /** Documents read per sweep query; default 200. */
  batchSize?: number;
  /** Documents published in parallel; default 16. */
  concurrency?: number;
  /** First retry of a document whose publish failed (doubling, at most 30 s); default 500 ms. */
  retryMs?: number;
}

export interface RegisterOptions {
  /**
   * `clear` (default): the document is state that outlives its events; the outbox is emptied.
   * `delete`: the document exists only to carry its events and is deleted once they are published,
   * unless it has `record: true` (kept as the permanent record that its events were emitted).
   */
  drained?: 'clear' | 'delete';
}

interface Source {
  col: mongo.Collection;
  db: mongo.Db;
  drained: 'clear' | 'delete';
}

/** The driver database of a mongoose model, a mongoose collection or a driver collection. */
const dbOf = (t: unknown): mongo.Db => {
  const x = t as { db?: { db?: mongo.Db }; conn?: { db?: mongo.Db }; s?: { db?: mongo.Db } };
  const db = x.db?.db ?? x.conn?.db ?? x.s?.db;
  if (!db) throw new Error('OutboxRelay: cannot tell the database of a registered collection');
  return db;
};

/** The driver collection behind a mongoose model (or the collection itself). */
const collectionOf = (t: unknown): mongo.Collection =>
  ((t as { collectionName?: string }).collectionName !== undefined ? t : (t as Model<WithOutbox>).collection) as mongo.Collection;

interface PendingDoc {
  _id: unknown;
  outbox?: EventEnvelope[];
  outboxPendingSince?: Date;
  record?: boolean;
}

const MAX_RETRY_MS = 30_000;
const MAX_ROUNDS = 20;

/** One relay instance's heartbeat (collection `outbox_relays`, next to the collections it serves). */
interface RelayDoc {
  _id: string;
  collections: string[];
  beat: Date;
  startedAt: Date;
}

const RELAYS = 'outbox_relays';
/** Marks that a collection had its one full sweep since relays keep heartbeats (upgrades, seeded data). */
const sweptOnce = (collection: string) => `swept:${collection}`;

/**
 * Publishes the events services append to their documents, then removes them. The cost follows the
 * work: a writer hands the relay the `_id`s it touched (`published`), and each is read, published and
 * cleared by `_id` alone. What a crash leaves behind is found without reading every document while
 * nothing crashes: each relay keeps a heartbeat document; when one stops beating, a live relay sweeps
 * the collections it wrote (over the indexed pending marker), and a slow full sweep is the safety net. An event is removed only after JetStream acknowledged it, so a crash re-publishes it; the
 * `Nats-Msg-Id` (= eventId) and idempotent consumers make that harmless. Documents are independent: one
 * whose publish fails is retried with backoff while the others go out.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly sources = new Map<string, Source>();
  private readonly queue = new Map<string, { source: Source; id: unknown }>();
  private readonly inFlight = new Set<string>();
  private readonly again = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly watch: SingleFlight;
  private readonly sweeper: SingleFlight;
  private readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private stopped = true;

  constructor(
    private readonly bus: NatsBus,
    private readonly metrics: Metrics,
    private readonly options: OutboxRelayOptions = {},
  ) {
    const deadAfter = options.sweepIntervalMs ?? 30_000;
    this.watch = new SingleFlight(() => this.heartbeat(), {
      name: 'outbox heartbeat',
      intervalMs: Math.max(100, Math.min(10_000, Math.floor(deadAfter / 3))),
      logger: this.logger,
    });
    this.sweeper = new SingleFlight(() => this.sweep().then(() => undefined), {
      name: 'outbox full sweep',
      intervalMs: options.fullSweepMs ?? 15 * 60_000,
      // On FerretDB the pending marker is not indexed: a sweep reads every document it serves.
      maxShare: BACKGROUND_SCAN_SHARE,
      logger: this.logger,
    });
  }

  register<T extends WithOutbox>(target: Model<T> | mongo.Collection<T>, options: RegisterOptions = {}): void {
    const col = collectionOf(target);
    this.sources.set(col.collectionName, { col, db: dbOf(target), drained: options.drained ?? 'clear' });
  }

  /**
   * Starts the heartbeat (which also sweeps after a dead instance, and once per collection that never
   * had a full sweep), and the slow full sweep (first run after `fullSweepMs`).
   */
  start(): void {
    this.stopped = false;
    this.watch.start();
    this.sweeper.start({ now: false });
  }

  /** The fast path: these documents of `model` were just written with events; publish them now. */
  published<T extends WithOutbox>(target: Model<T> | mongo.Collection<T>, ...ids: unknown[]): void {
    const name = collectionOf(target).collectionName;
    const source = this.sources.get(name);
    if (!source) throw new Error(`OutboxRelay: collection ${name} is not registered`);
    for (const id of ids) this.enqueue(source, id);
  }

  /**
   * Publishes every pending event of every registered model, however young, and waits for it (tests,
   * shutdown). Returns how many documents were handled.
   */
  async drain(): Promise<number> {
    const n = await this.sweep(0);
    await this.idle();
    return n;
  }

  /** Resolves when nothing is queued or being published. */
  idle(): Promise<void> {
    if (this.queue.size === 0 && this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops sweeping and publishes what this instance still has queued (graceful shutdown). Its heartbeat
   * document goes only if nothing is left unpublished; otherwise it stays to age, and a live relay (or
   * the next start) sweeps after it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.watch.stop();
    await this.sweeper.stop();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    const failed = this.failures.size;
    await this.flushQueued().catch((e) => this.logger.warn(`outbox flush at shutdown failed: ${(e as Error).message}`));
    if (failed === 0 && this.failures.size === 0) {
      await this.relays()
        ?.deleteOne({ _id: this.instanceId })
        .catch(() => undefined);
    }
  }

  /** Waits for what is queued or in flight (retries aside), at most 10 s. */
  private async flushQueued(): Promise<void> {
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  /** The heartbeat collection, in the database of the registered collections (none registered: none). */
  private relays(): mongo.Collection<RelayDoc> | undefined {
    const first = this.sources.values().next().value as Source | undefined;
    return first?.db.collection<RelayDoc>(RELAYS);
  }

  /**
   * Beats (one write), then reads every relay's heartbeat (a handful of documents): the collections of
   * any relay silent for `sweepIntervalMs` are swept, then its document removed; a collection that never
   * had a full sweep gets one (first start with heartbeats, data written by other means).
   */
  private async heartbeat(): Promise<void> {
    const relays = this.relays();
    if (!relays || this.stopped) return;
    const now = new Date();
    const mine = [...this.sources.keys()];
    await relays.updateOne(
      { _id: this.instanceId },
      { $set: { beat: now, collections: mine }, $setOnInsert: { startedAt: now } },
      { upsert: true },
    );
    const deadBefore = now.getTime() - (this.options.sweepIntervalMs ?? 30_000);
    const docs = (await relays.find({}).toArray()) as unknown as (RelayDoc | { _id: string; beat?: undefined })[];
    const swept = new Set(docs.filter((d) => d._id.startsWith('swept:')).map((d) => d._id.slice('swept:'.length)));
    const toSweep = new Set(mine.filter((c) => !swept.has(c)));
    // Only the dead relays with a collection this relay writes too: the others are left to a relay of
    // their own service (the services share this collection of heartbeats, and sla cannot sweep `cases`).
    const dead = docs.filter(
      (d): d is RelayDoc =>
        d.beat !== undefined && d._id !== this.instanceId && d.beat.getTime() < deadBefore && (d.collections ?? []).some((c) => this.sources.has(c)),
    );
    for (const d of dead) for (const c of d.collections ?? []) if (this.sources.has(c)) toSweep.add(c);
    if (toSweep.size === 0) return;
    // After a dead relay, no grace: what it wrote just before dying is younger than the grace when it is
    // found (it wrote after its last beat), and its writer will never publish it. A live writer's fresh
    // document swept too is published twice at worst, which JetStream drops (Nats-Msg-Id).
    const n = await this.sweep(dead.length ? 0 : (this.options.graceMs ?? 5000), [...toSweep]);
    if (dead.length) this.logger.log(`outbox: ${dead.length} relay(s) stopped beating (${dead.map((d) => d._id).join(', ')}); ${n} pending document(s) found`);
    for (const c of toSweep) if (!swept.has(c)) await relays.updateOne({ _id: sweptOnce(c) }, { $set: { at: now } } as object, { upsert: true }).catch(() => undefined);
    // A dead relay's document goes once every collection it wrote was swept; until then it keeps the rest.
    for (const d of dead) {
      const rest = (d.collections ?? []).filter((c) => !this.sources.has(c));
      if (rest.length === 0) await relays.deleteOne({ _id: d._id, beat: d.beat });
      else await relays.updateOne({ _id: d._id, beat: d.beat }, { $set: { collections: rest } });
    }
  }

  // ---------------------------------------------------------------------------------------------

  private enqueue(source: Source, id: unknown): void {
    const key = `${source.col.collectionName}\u0000${String(id)}`;
    if (this.inFlight.has(key)) this.again.add(key);
    else this.queue.set(key, { source, id });
    this.pump();
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 16;
    for (const [key, job] of this.queue) {
      if (this.inFlight.size >= limit) break;
      if (this.inFlight.has(key)) continue;
      this.queue.delete(key);
      this.inFlight.add(key);
      void this.flush(job.source, job.id).then(
        () => this.failures.delete(key),
        (e) => this.retryLater(key, job.source, job.id, e),
      ).finally(() => {
        this.inFlight.delete(key);
        if (this.again.delete(key)) this.queue.set(key, job);
        this.pump();
      });
    }
    if (this.queue.size === 0 && this.inFlight.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private retryLater(key: string, source: Source, id: unknown, e: unknown): void {
    const attempt = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempt);
    const delay = Math.min((this.options.retryMs ?? 500) * 2 ** (attempt - 1), MAX_RETRY_MS);
    this.metrics.outboxFailures.inc({ collection: source.col.collectionName });
    this.logger.warn(
      `outbox of ${source.col.collectionName}/${String(id)} not published (attempt ${attempt}): ${(e as Error)?.message ?? e}; retry in ${delay} ms`,
    );
    if (this.stopped) return; // the sweep of the next start picks it up
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.enqueue(source, id);
    }, delay);
    timer.unref();
    this.retryTimers.add(timer);
  }

  /** Publishes one document's events in order, then removes exactly those, by `_id`. */
  private async flush(source: Source, id: unknown): Promise<void> {
    const col = source.col;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const doc = (await col.findOne({ _id: id } as object, {
        projection: { outbox: 1, [OUTBOX_PENDING]: 1, record: 1 },
      })) as PendingDoc | null;
      if (!doc) return;
      const events = doc.outbox ?? [];
      if (events.length === 0) {
        if (source.drained === 'delete' && !doc.record) await col.deleteOne({ _id: id, outbox: { $size: 0 } } as object);
        else if (doc.outboxPendingSince) await col.updateOne({ _id: id, outbox: { $size: 0 } } as object, { $unset: { [OUTBOX_PENDING]: '' } });
        return;
      }
      for (const envelope of events) {
        await this.bus.publishEnvelope(envelope);
        this.metrics.outboxPublished.inc({ subject: envelope.type });
      }
      // Nothing appended since we read it (the common case): one write clears outbox and marker.
      const unchanged = { _id: id, outbox: { $size: events.length }, 'outbox.0.eventId': events[0].eventId } as object;
      const done =
        source.drained === 'delete' && !doc.record
          ? (await col.deleteOne(unchanged)).deletedCount
          : (await col.updateOne(unchanged, { $set: { outbox: [] }, $unset: { [OUTBOX_PENDING]: '' } })).modifiedCount;
      if (done) return;
      // A writer appended meanwhile: remove exactly what went out (writers only append) and go again.
      await col.updateOne({ _id: id } as object, { $pullAll: { outbox: events } } as object);
    }
    throw new Error(`outbox of ${String(id)} kept growing for ${MAX_ROUNDS} rounds`);
  }

  /** Queues every pending document older than `graceMs` (of `only` these collections); returns how many. */
  private async sweep(graceMs = this.options.graceMs ?? 5000, only?: string[]): Promise<number> {
    let total = 0;
    const batch = this.options.batchSize ?? 200;
    for (const [name, source] of this.sources) {
      if (only && !only.includes(name)) continue;
      const col = source.col;
      let after: unknown;
      for (;;) {
        const filter: Record<string, unknown> = { [OUTBOX_PENDING]: { $lte: new Date(Date.now() - graceMs) } };
        if (after !== undefined) filter._id = { $gt: after };
        const docs = (await col
          .find(filter, { projection: { _id: 1 } })
          .sort({ _id: 1 })
          .limit(batch)
          .toArray()) as { _id: unknown }[];
        for (const d of docs) this.enqueue(source, d._id);
        total += docs.length;
        await this.idle();
        if (docs.length < batch) break;
        after = docs[docs.length - 1]._id;
      }
    }
    return total;
  }
}
