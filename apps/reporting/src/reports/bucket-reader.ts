import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { bucketId } from '../read-models/buckets';
import { APPLIED_MAP } from '../read-models/buckets';
import { RmAccount, RmBucket, RmClause, RmReportIndex } from '../read-models/read-model.schemas';
import { bucketPeriods } from './period';

/** Summed counters: dotted field path → number (`s.high.fr.met`, `e.tier2.technical.ackh.6` …). */
export type Counters = Record<string, number>;

const META = new Set(['_id', 'period', 'accountId', 'appliedEventIds', APPLIED_MAP]);

function flatten(value: unknown, prefix: string, into: Counters): void {
  if (typeof value === 'number') {
    into[prefix] = (into[prefix] ?? 0) + value;
    return;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

export interface MonthCounters {
  month: string;
  accountId: string;
  counters: Counters;
}

/** Reads the counters of a period: one document per account and whole month, one per day at the edges, all by `_id`. */
@Injectable()
export class BucketReader {
  constructor(
    @InjectModel(RmBucket.name) private readonly buckets: Model<RmBucket>,
    @InjectModel(RmReportIndex.name) private readonly index: Model<RmReportIndex>,
    @InjectModel(RmClause.name) private readonly clauses: Model<RmClause>,
    @InjectModel(RmAccount.name) private readonly accounts: Model<RmAccount>,
  ) {}

  async read(period: { from: string; to: string }, accountId?: string): Promise<MonthCounters[]> {
    const plan = bucketPeriods(period);
    const out: MonthCounters[] = [];
    for (const { month, periods } of plan) {
      const accounts = accountId ? [accountId] : await this.accountsIn(month);
      const ids = accounts.flatMap((a) => periods.map((p) => ({ a, id: bucketId(p, a) })));
      const docs = await pool(ids, 16, async ({ a, id }) => ({ a, doc: await this.buckets.collection.findOne({ _id: id as never }) }));
      const byAccount = new Map<string, Counters>();
      for (const { a, doc } of docs) {
        if (!doc) continue;
        const c = byAccount.get(a) ?? {};
        for (const [k, v] of Object.entries(doc)) if (!META.has(k)) flatten(v, k, c);
        byAccount.set(a, c);
      }
      for (const [a, counters] of [...byAccount].sort(([x], [y]) => (x < y ? -1 : 1))) out.push({ month, accountId: a, counters });
    }
    return out;
  }

  async accountsIn(month: string): Promise<string[]> {
    const doc = await this.index.collection.findOne({ _id: month as never });
    return ((doc?.accounts ?? []) as string[]).slice().sort();
  }

  async clauseText(key: string): Promise<string> {
    const doc = await this.clauses.collection.findOne({ _id: key as never });
    return (doc?.text as string | undefined) ?? key;
  }

  /** Account names from the account events, by id (the id itself when none arrived). */
  async accountNames(ids: string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    await pool([...new Set(ids)], 16, async (id) => {
      const doc = await this.accounts.collection.findOne({ _id: id as never });
      names.set(id, (doc?.name as string | undefined) ?? id);
    });
    return names;
  }
}

/** Adds counters. */
export function sumCounters(list: Counters[]): Counters {
  const out: Counters = {};
  for (const c of list) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The sub-counters under a prefix (`s.high.fr.h` → { '3': 2, '7': 1 }). */
export function under(c: Counters, prefix: string): Counters {
  const out: Counters = {};
  const p = `${prefix}.`;
  for (const [k, v] of Object.entries(c)) if (k.startsWith(p)) out[k.slice(p.length)] = v;
  return out;
}
