import { applyOnce } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RmBucket, RmClause, RmReportIndex } from './read-model.schemas';

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

@Injectable()
export class BucketStore {
  private readonly logger = new Logger(BucketStore.name);
  /** `<month>:<account>` pairs this process has put in the month index (an idempotent write, made once). */
  private readonly indexed = new Set<string>();

  constructor(
    @InjectModel(RmBucket.name) readonly buckets: Model<RmBucket>,
    @InjectModel(RmReportIndex.name) private readonly index: Model<RmReportIndex>,
    @InjectModel(RmClause.name) private readonly clauses: Model<RmClause>,
  ) {}

  /** Applies a delta once, however often it is handed over (a crash between handing over and forgetting it). */
  async apply(d: BucketDelta): Promise<void> {
    const inc = Object.fromEntries(d.inc.map(({ f, n }) => [f, n]));
    await applyOnce(this.buckets, d.bucket, d.id, { $setOnInsert: { period: d.period, accountId: d.accountId }, $inc: inc });
    const key = `${d.period}:${d.accountId}`;
    if (d.period.length === 7 && !this.indexed.has(key)) {
      await this.index.collection.updateOne({ _id: d.period as never }, { $addToSet: { accounts: d.accountId } }, { upsert: true });
      if (this.indexed.size > 100_000) this.indexed.clear();
      this.indexed.add(key);
    }
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
    const cursor = this.buckets.collection.find({}, { projection: { appliedEventIds: 1 } });
    for await (const doc of cursor) {
      const old = ((doc.appliedEventIds ?? []) as string[]).filter((id) => deltaIdAt(id) < now - keepMs);
      if (!old.length) continue;
      await this.buckets.collection.updateOne({ _id: doc._id }, { $pullAll: { appliedEventIds: old } } as never);
      pruned += old.length;
    }
    if (pruned) this.logger.log(`pruned ${pruned} applied delta ids`);
    return pruned;
  }
}
