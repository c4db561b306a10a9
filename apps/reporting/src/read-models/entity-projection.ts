import { AppError, EventEnvelope } from '@sladesk/contracts';
import { isDuplicateKey } from '@sladesk/persistence';
import { mongo } from 'mongoose';
import { isDeepStrictEqual } from 'node:util';
import { BucketDelta, bucketDeltas, BucketStore, Contribution } from './buckets';

/** How one kind of entity (a case, an escalation, a notice) is read from its events. */
export interface Reducer<S extends object> {
  /** Short name, part of delta ids. */
  kind: string;
  empty(id: string): S;
  /** Pure and order-independent: the same events in any order, any of them twice, give the same state. */
  apply(state: S, event: EventEnvelope): S;
  /** What the entity adds to the day counters in this state (nothing until the facts that place it arrived). */
  contributions(state: S): Contribution[];
}

/**
 * A store derived from the entity's state outside its document (the support record's packs). What it
 * should hold is decided with the state and recorded in the document's `derived` in the same write;
 * then `follow` makes the store match. A crash in between is finished by the redelivered event, which
 * finds itself applied and follows again, so `follow` must be idempotent.
 */
export interface Follower<S> {
  /** What the entity document records for this state (`recorded`: what it recorded before). May read, must not change what readers see. */
  target(id: string, state: S, recorded: unknown): Promise<{ record: unknown; work?: unknown }>;
  /** Brings the derived store in line with `doc.derived`; `work` is what `target` prepared, when at hand. */
  follow(id: string, doc: EntityDoc<S>, work?: unknown): Promise<void>;
}

interface Bookkeeping {
  _id: string;
  /** Optimistic concurrency: a write replaces the document only if nobody else wrote it since it was read. */
  rev: number;
  /** Events merged into the state. */
  applied: string[];
  /** Counter deltas of the last write(s), not yet handed to the buckets (a crash in between). */
  pending: Record<string, BucketDelta>;
  /** What the follower's store holds of this entity (see Follower). */
  derived?: unknown;
}
export type EntityDoc<S> = S & Bookkeeping;

const BOOKKEEPING = new Set(['_id', 'rev', 'applied', 'pending', 'derived']);
const ATTEMPTS = 20;

/**
 * One document per entity, keyed by its id, holding the state merged from its events; counters follow
 * the state. A change writes the new state with the counter delta it causes in one guarded replace,
 * then hands the delta to the day and month buckets and forgets it. A redelivered event finds itself
 * in `applied` and only finishes handing over what a crash left pending; the buckets apply each delta
 * id once. So counters equal the sum of every entity's current contribution, whatever the order.
 */
export class EntityProjection<S extends object> {
  constructor(
    private readonly collection: mongo.Collection,
    private readonly buckets: BucketStore,
    private readonly reducer: Reducer<S>,
    private readonly follower?: Follower<S>,
  ) {}

  async get(id: string): Promise<EntityDoc<S> | null> {
    return (await this.collection.findOne({ _id: id as never })) as EntityDoc<S> | null;
  }

  /** Merges the event into the entity; false when it had been merged before. */
  async apply(id: string, event: EventEnvelope, now = Date.now()): Promise<boolean> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const doc = await this.get(id);
      if (doc?.applied.includes(event.eventId)) {
        await this.handOver(id, doc.pending);
        await this.follower?.follow(id, doc);
        return false;
      }
      const before = doc ? stateOf<S>(doc) : this.reducer.empty(id);
      const after = this.reducer.apply(before, event);
      const rev = (doc?.rev ?? 0) + 1;
      const deltas = bucketDeltas(doc ? this.reducer.contributions(before) : [], this.reducer.contributions(after));
      const pending = { ...(doc?.pending ?? {}) };
      deltas.forEach((d, i) => (pending[`${rev}_${i}`] = { ...d, id: `${this.reducer.kind}:${id}#${rev}_${i}@${now}` }));
      const { record: derived, work } = this.follower ? await this.follower.target(id, after, doc?.derived) : { record: doc?.derived, work: undefined };
      const next = {
        ...after,
        _id: id,
        rev,
        applied: [...(doc?.applied ?? []), event.eventId],
        pending,
        ...(derived !== undefined ? { derived } : {}),
      } as EntityDoc<S>;
      if (doc) {
        const res = await this.collection.replaceOne({ _id: id as never, rev: doc.rev }, next);
        if (res.matchedCount === 0) continue;
      } else {
        try {
          await this.collection.insertOne(next as never);
        } catch (e) {
          if (isDuplicateKey(e)) continue;
          throw e;
        }
      }
      await this.handOver(id, pending);
      if (this.follower && !isDeepStrictEqual(derived, doc?.derived)) await this.follower.follow(id, next, work);
      return true;
    }
    throw new AppError('RESOURCE.CONCURRENT_UPDATE', `${this.reducer.kind} ${id} changed concurrently too often`);
  }

  /**
   * Asks the follower again without an event (something its store derives from changed beside the
   * state: an erased entry document); records and follows a changed target.
   */
  async refollow(id: string): Promise<void> {
    if (!this.follower) return;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const doc = await this.get(id);
      if (!doc) return;
      const { record: derived, work } = await this.follower.target(id, stateOf<S>(doc), doc.derived);
      if (isDeepStrictEqual(derived, doc.derived)) return;
      const res = await this.collection.updateOne({ _id: id as never, rev: doc.rev }, { $set: { derived }, $inc: { rev: 1 } });
      if (res.matchedCount === 0) continue;
      await this.follower.follow(id, { ...doc, rev: doc.rev + 1, derived }, work);
      return;
    }
    throw new AppError('RESOURCE.CONCURRENT_UPDATE', `${this.reducer.kind} ${id} changed concurrently too often`);
  }

  private async handOver(id: string, pending: Record<string, BucketDelta>): Promise<void> {
    const keys = Object.keys(pending ?? {});
    if (!keys.length) return;
    for (const key of keys) await this.buckets.apply(pending[key]);
    // `rev` moves on: a handler that read the entity while they were pending cannot write them back.
    await this.collection.updateOne({ _id: id as never }, { $unset: Object.fromEntries(keys.map((k) => [`pending.${k}`, ''])), $inc: { rev: 1 } });
    // Forgotten here: only a second delivery of the same event, handled at this very moment, could hand
    // them over again, so their ids may leave the buckets soon.
    this.buckets.confirm(keys.map((k) => pending[k]!));
  }
}

export function stateOf<S>(doc: EntityDoc<S>): S {
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !BOOKKEEPING.has(k))) as S;
}
