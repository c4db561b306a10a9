import { AppError, EventEnvelope } from '@sladesk/contracts';
import { isDuplicateKey } from '@sladesk/persistence';
import { mongo } from 'mongoose';
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

interface Bookkeeping {
  _id: string;
  /** Optimistic concurrency: a write replaces the document only if nobody else wrote it since it was read. */
  rev: number;
  /** Events merged into the state. */
  applied: string[];
  /** Counter deltas of the last write(s), not yet handed to the buckets (a crash in between). */
  pending: Record<string, BucketDelta>;
}
export type EntityDoc<S> = S & Bookkeeping;

const BOOKKEEPING = new Set(['_id', 'rev', 'applied', 'pending']);
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
        return false;
      }
      const before = doc ? stateOf<S>(doc) : this.reducer.empty(id);
      const after = this.reducer.apply(before, event);
      const rev = (doc?.rev ?? 0) + 1;
      const deltas = bucketDeltas(doc ? this.reducer.contributions(before) : [], this.reducer.contributions(after));
      const pending = { ...(doc?.pending ?? {}) };
      deltas.forEach((d, i) => (pending[`${rev}_${i}`] = { ...d, id: `${this.reducer.kind}:${id}#${rev}_${i}@${now}` }));
      const next = { ...after, _id: id, rev, applied: [...(doc?.applied ?? []), event.eventId], pending } as EntityDoc<S>;
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
      return true;
    }
    throw new AppError('RESOURCE.CONCURRENT_UPDATE', `${this.reducer.kind} ${id} changed concurrently too often`);
  }

  private async handOver(id: string, pending: Record<string, BucketDelta>): Promise<void> {
    const keys = Object.keys(pending ?? {});
    if (!keys.length) return;
    for (const key of keys) await this.buckets.apply(pending[key]);
    await this.collection.updateOne({ _id: id as never }, { $unset: Object.fromEntries(keys.map((k) => [`pending.${k}`, ''])) });
  }
}

export function stateOf<S>(doc: EntityDoc<S>): S {
  return Object.fromEntries(Object.entries(doc).filter(([k]) => !BOOKKEEPING.has(k))) as S;
}
