import { Collection, Schema } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';

/**
 * A document's id as a field name: `.` and `$` cannot appear in one, so they (and `%`) are
 * percent-encoded. Ids are otherwise kept as they are, so the stored maps stay readable.
 */
export const encodeFieldKey = (id: string): string =>
  id.replace(/[%.$]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
export const decodeFieldKey = (key: string): string =>
  key.replace(/%([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** Schema of a due index's collection (buckets and the low-water mark; the fields are maps). */
export const DueBucketSchema = new Schema(
  { _id: String, ids: Schema.Types.Mixed, at: Number },
  { versionKey: false, strict: false },
);

export interface DueIndexOptions {
  /** Prefix of this index's documents, so several indexes can share one collection. */
  name: string;
  /** Width of a bucket; default one minute. */
  bucketMs?: number;
  /**
   * How far (at most) the clocks of the instances that schedule and read disagree, twice over;
   * default 2 min. Nothing is ever scheduled into a bucket that ended more than `graceMs / 2` ago, so
   * one that ended `graceMs` ago and is empty stays empty: the low-water mark may pass it.
   */
  graceMs?: number;
  /** Where the first reader starts when there is no low-water mark yet; default one hour back. */
  lookbackMs?: number;
  /** Buckets read per `due()` call at most (catching up after downtime spreads over calls); default 1440. */
  maxBucketsPerCall?: number;
  /**
   * A bucket found without a document is not read again for this long (default 5 s), unless this
   * process schedules into it: an idle reader polling every second then reads only the low-water mark.
   * An entry another process schedules into such a bucket is seen at most this much later. 0: always read.
   */
  emptyRecheckMs?: number;
}

/** Per index (collection and name): when each bucket was last found without a document, and local writes since. */
interface EmptyBuckets {
  seen: Map<number, { at: number; gen: number }>;
  gen: Map<number, number>;
}
const emptyBuckets = new Map<string, EmptyBuckets>();

/** Entries one `doneMany` write removes at most. */
const DONE_PER_WRITE = 100;

/** One id that is due, when it was scheduled, and the bucket that holds it (pass it back to `done`). */
export interface DueEntry {
  id: string;
  dueAt: Date;
  scheduledAt: Date;
  bucket: string;
}

/** Stored per id: due time and scheduling time (ms). */
interface Slot {
  d: number;
  s: number;
}

interface BucketDoc {
  _id: string;
  ids?: Record<string, Slot>;
  at?: number;
}

const PARALLEL_READS = 16;

/**
 * What is due when, keyed by `_id` only: on a server that uses an index for `_id` equality alone
 * (FerretDB), reading what is due costs a few `findById`s whatever the size of the collections it
 * points into.
 *
 * Documents: one per time bucket, `_id = <name>|<bucket start ISO>`, holding `ids: { <id>: { d: dueAtMs,
 * s: scheduledAtMs } }`,
 * and a low-water mark `<name>|lwm` below which every bucket is empty. `due(now)` reads the buckets
 * from the mark up to now by `_id` and moves the mark past the leading ones that are over and empty.
 *
 * The index is a hint, the documents it points at are the truth: write the entry before (or in the
 * same logical step as) the state that needs it, and let the consumer drop an entry whose document
 * does not need action — once the entry is `settled`: a younger one may point at a document its
 * writer has not written yet. Several instances may read the same entries; their claims (conditional
 * updates) decide who acts. `done` removes an entry only if it is still the one that was read, so a
 * re-schedule into the same bucket is never lost.
 */
export class DueIndex {
  private readonly bucketMs: number;
  private readonly graceMs: number;
  private readonly lookbackMs: number;
  private readonly maxBuckets: number;
  private readonly recheckMs: number;
  private readonly empty: EmptyBuckets;

  constructor(
    private readonly collection: Collection,
    private readonly options: DueIndexOptions,
  ) {
    if (!/^[A-Za-z0-9_-]+$/.test(options.name)) throw new Error(`DueIndex: bad name "${options.name}"`);
    this.bucketMs = options.bucketMs ?? 60_000;
    this.graceMs = options.graceMs ?? 120_000;
    this.lookbackMs = options.lookbackMs ?? 3_600_000;
    this.maxBuckets = options.maxBucketsPerCall ?? 1440;
    this.recheckMs = options.emptyRecheckMs ?? 5000;
    // Shared by every DueIndex of this process over the same documents, so a schedule through one is seen by all.
    const scope = `${collection.collectionName}|${options.name}`;
    this.empty = emptyBuckets.get(scope) ?? { seen: new Map(), gen: new Map() };
    emptyBuckets.set(scope, this.empty);
  }

  /** `id` is due at `dueAt`. Idempotent; a second due time of one id adds a second entry. */
  async schedule(id: string, dueAt: Date, now = new Date()): Promise<void> {
    // Long overdue: into a bucket the low-water mark cannot have passed yet (see `graceMs`).
    const at = Math.max(dueAt.getTime(), now.getTime() - this.graceMs / 2);
    const slot: Slot = { d: dueAt.getTime(), s: now.getTime() };
    const bucket = this.bucketOf(at);
    this.touch(bucket);
    try {
      await this.upsert(this.key(bucket), { $set: { [`ids.${encodeFieldKey(id)}`]: slot } });
    } finally {
      this.touch(bucket);
    }
  }

  /** Forgets that `bucket` was found empty (a read under way when it changed does not count either). */
  private touch(bucket: number): void {
    this.empty.gen.set(bucket, (this.empty.gen.get(bucket) ?? 0) + 1);
    this.empty.seen.delete(bucket);
  }

  /** Reads a bucket, unless it was found without a document less than `emptyRecheckMs` ago and not written here since. */
  private async readBucket(start: number): Promise<BucketDoc | null> {
    const gen = this.empty.gen.get(start) ?? 0;
    const seen = this.empty.seen.get(start);
    const at = Date.now();
    if (seen && seen.gen === gen && at - seen.at < this.recheckMs) return null;
    const doc = (await this.collection.findOne({ _id: this.key(start) } as object)) as BucketDoc | null;
    if (!doc && this.recheckMs > 0 && (this.empty.gen.get(start) ?? 0) === gen) this.empty.seen.set(start, { at, gen });
    return doc;
  }

  private forgetBelow(mark: number): void {
    for (const m of [this.empty.seen, this.empty.gen] as Map<number, unknown>[]) {
      if (m.size < 256) continue;
      for (const k of m.keys()) if (k < mark) m.delete(k);
    }
  }

  /** Best effort: removes the entry of `id` at `dueAt` (a stale entry is dropped by its consumer anyway). */
  async cancel(id: string, dueAt: Date): Promise<void> {
    const field = `ids.${encodeFieldKey(id)}`;
    await this.collection.updateOne(
      { _id: this.key(this.bucketOf(dueAt.getTime())), [`${field}.d`]: dueAt.getTime() } as object,
      { $unset: { [field]: '' } },
    );
  }

  /** The entry was handled (or found stale): remove it, unless it was re-scheduled meanwhile. */
  async done(entry: DueEntry): Promise<void> {
    const field = `ids.${encodeFieldKey(entry.id)}`;
    await this.collection.updateOne(
      { _id: entry.bucket, [`${field}.d`]: entry.dueAt.getTime(), [`${field}.s`]: entry.scheduledAt.getTime() } as object,
      { $unset: { [field]: '' } },
    );
  }

  /**
   * Many handled entries at once: one write per bucket (in parts of DONE_PER_WRITE) instead of one per
   * entry, which matters when a bucket holds thousands (a burst): each write rewrites the bucket's
   * document, and on FerretDB every other write waits for it. The write removes its entries only if
   * every one of them is still as handed out; when one was re-scheduled meanwhile, that part falls back
   * to one `done` per entry.
   */
  async doneMany(entries: readonly DueEntry[]): Promise<void> {
    const byBucket = new Map<string, DueEntry[]>();
    for (const e of entries) byBucket.set(e.bucket, [...(byBucket.get(e.bucket) ?? []), e]);
    for (const [bucket, all] of byBucket) {
      for (let i = 0; i < all.length; i += DONE_PER_WRITE) {
        const part = [...new Map(all.slice(i, i + DONE_PER_WRITE).map((e) => [e.id, e])).values()];
        if (part.length === 1) {
          await this.done(part[0]!);
          continue;
        }
        const filter: Record<string, unknown> = { _id: bucket };
        const $unset: Record<string, ''> = {};
        for (const e of part) {
          const field = `ids.${encodeFieldKey(e.id)}`;
          filter[`${field}.d`] = e.dueAt.getTime();
          filter[`${field}.s`] = e.scheduledAt.getTime();
          $unset[field] = '';
        }
        const res = await this.collection.updateOne(filter as object, { $unset });
        if (res.matchedCount === 0) for (const e of part) await this.done(e);
      }
    }
  }

  /**
   * Whether an entry is old enough that its writer has surely written the state it was scheduled for
   * (default: a minute after scheduling). Drop a settled entry whose document needs nothing; keep a
   * younger one for the next pass.
   */
  static settled(entry: DueEntry, now = new Date(), afterMs = 60_000): boolean {
    return now.getTime() - entry.scheduledAt.getTime() >= afterMs;
  }

  /** Up to `limit` entries due at or before `now`, oldest buckets first. */
  async due(now = new Date(), limit = 100): Promise<DueEntry[]> {
    const t = now.getTime();
    const mark = await this.lowWater(t);
    const last = this.bucketOf(t);
    // Buckets ending by then receive nothing new. Measured on this host's clock, whatever `now` the
    // caller passes (a caller that looks ahead must not move the mark past what schedulers still write to).
    const settled = Math.min(t, Date.now()) - this.graceMs;
    const out: DueEntry[] = [];
    const emptied: string[] = [];
    let advanceTo = mark;
    let leading = true;
    let next = mark;
    let read = 0;
    while (next <= last && out.length < limit && read < this.maxBuckets) {
      const starts: number[] = [];
      for (; starts.length < PARALLEL_READS && next <= last && read < this.maxBuckets; next += this.bucketMs, read++) starts.push(next);
      const docs = await Promise.all(starts.map((s) => this.readBucket(s)));
      starts.forEach((start, i) => {
        const doc = docs[i];
        const ids = Object.entries(doc?.ids ?? {});
        if (leading && ids.length === 0 && start + this.bucketMs <= settled) {
          advanceTo = start + this.bucketMs;
          if (doc) emptied.push(doc._id);
          return;
        }
        leading = false;
        for (const [k, slot] of ids) {
          if (slot.d <= t) out.push({ id: decodeFieldKey(k), dueAt: new Date(slot.d), scheduledAt: new Date(slot.s), bucket: this.key(start) });
        }
      });
    }
    if (advanceTo > mark) {
      await this.collection.updateOne({ _id: this.key('lwm'), at: { $lt: advanceTo } } as object, { $set: { at: advanceTo } });
      await Promise.all(emptied.map((id) => this.collection.deleteOne({ _id: id } as object)));
      this.forgetBelow(advanceTo);
    }
    return out.slice(0, limit);
  }

  private async lowWater(now: number): Promise<number> {
    const key = this.key('lwm');
    const doc = (await this.collection.findOne({ _id: key } as object)) as BucketDoc | null;
    if (typeof doc?.at === 'number') return doc.at;
    await this.upsert(key, { $setOnInsert: { at: this.bucketOf(Math.min(now, Date.now()) - this.lookbackMs) } });
    const created = (await this.collection.findOne({ _id: key } as object)) as BucketDoc | null;
    return created!.at!;
  }

  /** Two first writers of one document may collide on MongoDB: the loser's update then applies to the winner's. */
  private async upsert(id: string, update: object): Promise<void> {
    try {
      await this.collection.updateOne({ _id: id } as object, update, { upsert: true });
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      await this.collection.updateOne({ _id: id } as object, update, { upsert: true });
    }
  }

  private bucketOf(ms: number): number {
    return Math.floor(ms / this.bucketMs) * this.bucketMs;
  }

  private key(bucket: number | 'lwm'): string {
    return `${this.options.name}|${bucket === 'lwm' ? 'lwm' : new Date(bucket).toISOString()}`;
  }
}
