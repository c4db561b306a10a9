import { encodeFieldKey, isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ReportingEnv } from '../config';
import { RmBucket, RmClause, RmReportIndex } from './read-model.schemas';

/** The bucket field holding the ids of the deltas applied to it: `{ <encoded id>: <epoch ms applied> }`. */
export const APPLIED_MAP = 'appliedAt';
/** Ids one write takes out at most (the rest go with the next writes). */
const RELEASE_PER_WRITE = 200;
/** Ids remembered per bucket for release at most; beyond, the pruner takes them out. */
const REMEMBERED_PER_BUCKET = 50_000;
/** At a graceful stop, ids whose entity forgot them at least this long ago leave their buckets. */
const STOP_GRACE_MS = 5_000;
/** How long a graceful stop spends on that at most. */
const STOP_RELEASE_BUDGET_MS = 3_000;

/** What one entity adds to the counters of one account on one day: field path → amount. */
export interface Contribution {
  day: string;
  accountId: string;
  inc: Record<string, number>;
}

/**
 * A change of counters an entity document hands over, once: `id` makes it idempotent. Field paths
 * travel as a list (`{ f: 's.high.cases', n: 1 }`): stored in the entity document, a dotted key would be refused.
 */
export interface BucketDelta {
  id: string;
  bucket: string;
  period: string;
  accountId: string;
  inc: { f: string; n: number }[];
}

/** Accounts are ids (no `:`), so `<period>:<account>` names one bucket and periods tell days from months. */
export const bucketId = (period: string, accountId: string): string => `${period}:${accountId}`;

/**
 * The difference between what an entity contributed before and after a change, per day and month
 * bucket (a contribution counts in both), without zeros.
 */
export function bucketDeltas(before: Contribution[], after: Contribution[]): Omit<BucketDelta, 'id'>[] {
  const sums = new Map<string, { period: string; accountId: string; inc: Record<string, number> }>();
  const add = (list: Contribution[], sign: 1 | -1) => {
    for (const c of list) {
      for (const period of [c.day, c.day.slice(0, 7)]) {
        const key = bucketId(period, c.accountId);
        const entry = sums.get(key) ?? { period, accountId: c.accountId, inc: {} };
        for (const [field, n] of Object.entries(c.inc)) entry.inc[field] = (entry.inc[field] ?? 0) + sign * n;
        sums.set(key, entry);
      }
    }
  };
  add(before, -1);
  add(after, 1);
  const out: Omit<BucketDelta, 'id'>[] = [];
  for (const [bucket, { period, accountId, inc }] of sums) {
    const nonZero = Object.entries(inc)
      .filter(([, n]) => n !== 0)
      .map(([f, n]) => ({ f, n }));
    if (nonZero.length) out.push({ bucket, period, accountId, inc: nonZero });
  }
  return out.sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
}

/** Delta ids end with `@<epoch ms>`: the pruner forgets ids old enough that nobody can retry them. */
export const deltaIdAt = (id: string): number => Number(id.slice(id.lastIndexOf('@') + 1)) || 0;

interface QueuedDelta {
  d: BucketDelta;
  now: number;
  resolve: (applied: boolean) => void;
  reject: (e: unknown) => void;
}

@Injectable()
export class BucketStore implements OnModuleDestroy {
  private readonly logger = new Logger(BucketStore.name);
  /** `<month>:<account>` pairs this process has put in the month index (an idempotent write, made once). */
  private readonly indexed = new Set<string>();
  /**
   * Per bucket, the delta ids this process applied there, oldest first (released by later writes), with
   * when their entity forgot them (`confirm`).
   */
  private readonly mine = new Map<string, Map<string, { at: number; confirmedAt?: number }>>();
  private readonly releaseMs: number;
  private readonly graceMs: number;
  /** Per bucket with a write under way: the deltas waiting for the next round. */
  private readonly queued = new Map<string, QueuedDelta[]>();

  constructor(
    @InjectModel(RmBucket.name) readonly buckets: Model<RmBucket>,
    @InjectModel(RmReportIndex.name) private readonly index: Model<RmReportIndex>,
    @InjectModel(RmClause.name) private readonly clauses: Model<RmClause>,
    config: ReportingEnv,
  ) {
    this.releaseMs = config.SLADESK_REPORTING_DELTA_RELEASE_MS;
    this.graceMs = Math.min(config.SLADESK_REPORTING_DELTA_GRACE_MS ?? 10_000, this.releaseMs);
  }

  /**
   * The entity that handed these deltas over has forgotten them (its `pending` is unset): only a
   * handler that read the entity just before could hand one over again, so their ids may leave their
   * buckets `SLADESK_REPORTING_DELTA_GRACE_MS` later instead of `SLADESK_REPORTING_DELTA_RELEASE_MS`.
   */
  confirm(deltas: BucketDelta[], now = Date.now()): void {
    for (const d of deltas) {
      const entry = this.mine.get(d.bucket)?.get(encodeFieldKey(d.id));
      if (entry && entry.confirmedAt === undefined) entry.confirmedAt = now;
    }
  }

  /**
   * Applies a delta once, however often it is handed over (a crash between handing over and
   * forgetting it): the bucket records the delta's id in the same write, and a write whose id is
   * there already changes nothing. The ids are map keys, so that the same write can take out the
   * ids this process applied, once their entity forgot them SLADESK_REPORTING_DELTA_GRACE_MS ago
   * (`confirm`) or at the latest SLADESK_REPORTING_DELTA_RELEASE_MS after they were applied: a bucket
   * stays as small as its last seconds of deltas instead of growing with every delta of the day (FerretDB
   * rewrites the whole document on every write, and every other write waits for it).
   * Ids from before (an `appliedEventIds` list) are still recognised until the pruner drops them.
   *
   * Group commit: while a write to a bucket is under way, the deltas handed to it wait and then go
   * as one write (their sums, all their ids, applied only if none of them is there yet); when that
   * write finds one applied already, each of them is written alone. Under load a bucket every case of
   * an account writes takes one write per round instead of one per delta; alone, a delta goes at once.
   */
  async apply(d: BucketDelta, now = Date.now()): Promise<boolean> {
    const applied = await new Promise<boolean>((resolve, reject) => {
      const queue = this.queued.get(d.bucket);
      if (queue) queue.push({ d, now, resolve, reject });
      else {
        this.queued.set(d.bucket, []);
        void this.writeRounds(d.bucket, [{ d, now, resolve, reject }]);
      }
    });
    const monthKey = `${d.period}:${d.accountId}`;
    if (d.period.length === 7 && !this.indexed.has(monthKey)) {
      await this.index.collection.updateOne({ _id: d.period as never }, { $addToSet: { accounts: d.accountId } }, { upsert: true });
      if (this.indexed.size > 100_000) this.indexed.clear();
      this.indexed.add(monthKey);
    }
    return applied;
  }

  /** Writes `round`, then whatever was queued for the bucket meanwhile, until nothing is. */
  private async writeRounds(bucket: string, round: QueuedDelta[]): Promise<void> {
    for (let next = round; next.length; ) {
      const byId = new Map<string, QueuedDelta[]>();
      for (const q of next) byId.set(q.d.id, [...(byId.get(q.d.id) ?? []), q]);
      // The same delta twice in one round (a redelivery racing its first hand-over): written once, told to both.
      const firsts = [...byId.values()].map((qs) => qs[0]!);
      try {
        const results = firsts.length === 1 ? [await this.write(bucket, firsts)] : await this.writeTogether(bucket, firsts);
        firsts.forEach((q, i) => byId.get(q.d.id)!.forEach((x, j) => x.resolve(j === 0 && results[i]!)));
      } catch (e) {
        for (const q of next) q.reject(e);
      }
      next = this.queued.get(bucket) ?? [];
      if (next.length) this.queued.set(bucket, []);
      else this.queued.delete(bucket);
    }
  }

  /** All of them in one write if none is applied yet, else one by one. */
  private async writeTogether(bucket: string, qs: QueuedDelta[]): Promise<boolean[]> {
    if (await this.write(bucket, qs)) return qs.map(() => true);
    const out: boolean[] = [];
    for (const q of qs) out.push(await this.write(bucket, [q]));
    return out;
  }

  /** One conditional write of these deltas' sums and ids (and of the ids this process can release). */
  private async write(bucket: string, qs: QueuedDelta[]): Promise<boolean> {
    const now = Math.max(...qs.map((q) => q.now));
    const inc: Record<string, number> = {};
    for (const { d } of qs) for (const { f, n } of d.inc) inc[f] = (inc[f] ?? 0) + n;
    const keys = qs.map((q) => encodeFieldKey(q.d.id));
    const mine = this.mine.get(bucket) ?? new Map<string, { at: number; confirmedAt?: number }>();
    // Releasable: forgotten by its entity a grace ago, or applied a release time ago (oldest first; a
    // look at the oldest few, so that one still pending does not hold the later ones back).
    const released: { key: string }[] = [];
    let looked = 0;
    for (const [key, e] of mine) {
      if (released.length >= RELEASE_PER_WRITE || looked++ >= 2 * RELEASE_PER_WRITE) break;
      if ((e.confirmedAt !== undefined && e.confirmedAt <= now - this.graceMs) || e.at <= now - this.releaseMs) released.push({ key });
    }
    const filter: Record<string, unknown> = { _id: bucket, appliedEventIds: { $nin: qs.map((q) => q.d.id) } };
    for (const k of keys) filter[`${APPLIED_MAP}.${k}`] = { $exists: false };
    let applied: boolean;
    try {
      const res = await this.buckets.collection.updateOne(
        filter as never,
        {
          $setOnInsert: { period: qs[0]!.d.period, accountId: qs[0]!.d.accountId },
          $inc: inc,
          $set: Object.fromEntries(keys.map((k) => [`${APPLIED_MAP}.${k}`, now])),
          ...(released.length ? { $unset: Object.fromEntries(released.map((r) => [`${APPLIED_MAP}.${r.key}`, ''])) } : {}),
        },
        { upsert: true },
      );
      applied = res.modifiedCount + res.upsertedCount > 0;
    } catch (e) {
      // The document exists and already holds an id, so the filter missed and the upsert collided.
      if (!isDuplicateKey(e)) throw e;
      applied = false;
    }
    if (applied) {
      for (const r of released) mine.delete(r.key);
      for (const key of keys) mine.set(key, { at: now });
      for (const key of mine.keys()) {
        if (mine.size <= REMEMBERED_PER_BUCKET) break;
        mine.delete(key);
      }
      this.mine.set(bucket, mine);
    }
    return applied;
  }

  /**
   * A graceful stop (consumers drained): the ids this process would have released with its next writes
   * leave their buckets now, one write per bucket, instead of staying for the pruner
   * (`SLADESK_REPORTING_DELTA_KEEP_MS`) once this process is gone. Ids still pending stay.
   */
  async onModuleDestroy(): Promise<void> {
    const until = Date.now() + STOP_RELEASE_BUDGET_MS;
    let released = 0;
    for (const [bucket, mine] of this.mine) {
      const now = Date.now();
      if (now > until) break;
      const keys = [...mine].filter(([, e]) => e.confirmedAt !== undefined && e.confirmedAt <= now - STOP_GRACE_MS).map(([k]) => k);
      for (let i = 0; i < keys.length; i += RELEASE_PER_WRITE) {
        const part = keys.slice(i, i + RELEASE_PER_WRITE);
        await this.buckets.collection.updateOne({ _id: bucket } as never, { $unset: Object.fromEntries(part.map((k) => [`${APPLIED_MAP}.${k}`, ''])) });
        for (const k of part) mine.delete(k);
        released += part.length;
      }
    }
    if (released) this.logger.log(`released ${released} applied delta ids before stopping`);
  }

  async rememberClause(key: string, text: string): Promise<void> {
    await this.clauses.collection.updateOne({ _id: key as never }, { $setOnInsert: { text } }, { upsert: true });
  }

  /**
   * Forgets delta ids older than `keepMs` (a background sweep over the buckets, at a bounded interval):
   * an entity forgets a delta right after handing it over, so only a process stalled longer than
   * `keepMs` in between could hand it over again.
   */
  async prune(keepMs: number, now = Date.now()): Promise<number> {
    let pruned = 0;
    const cursor = this.buckets.collection.find({}, { projection: { appliedEventIds: 1, [APPLIED_MAP]: 1 }, batchSize: 100 });
    for await (const doc of cursor) {
      const old = ((doc.appliedEventIds ?? []) as string[]).filter((id) => deltaIdAt(id) < now - keepMs);
      const oldKeys = Object.entries((doc[APPLIED_MAP] ?? {}) as Record<string, number>)
        .filter(([, at]) => at < now - keepMs)
        .map(([k]) => k);
      if (!old.length && !oldKeys.length) continue;
      await this.buckets.collection.updateOne({ _id: doc._id }, {
        ...(old.length ? { $pullAll: { appliedEventIds: old } } : {}),
        ...(oldKeys.length ? { $unset: Object.fromEntries(oldKeys.map((k) => [`${APPLIED_MAP}.${k}`, ''])) } : {}),
      } as never);
      pruned += old.length + oldKeys.length;
    }
    if (pruned) this.logger.log(`pruned ${pruned} applied delta ids`);
    return pruned;
  }
}
