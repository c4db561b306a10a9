import { decodeFieldKey, encodeFieldKey, isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ID_SETS } from './id-sets';

/**
 * How many bucket documents one member's open cases are spread over. A member with 5,000 open cases
 * has buckets of about 160; the summary holds two numbers per bucket. (Changing it moves members at
 * the next repair: `rebucket`.)
 */
export const LOAD_BUCKETS = 32;
/** Marks that load sets of the first layout (every member in one document) were spread into buckets. */
const LAYOUT_MARK = '~layout:load-sets-in-buckets';
const FOLD_CHUNK = 500;

/** The summary of a member's load (what routing reads): `esc_sets/load:<staffId>`. */
export const loadSummaryId = (staffId: string) => `load:${staffId}`;
/** One bucket of a member's open cases: `esc_sets/loadb:<bb>:<staffId>`. */
export const loadBucketId = (staffId: string, bucket: number) => `loadb:${String(bucket).padStart(2, '0')}:${staffId}`;
const BUCKET_ID = /^loadb:(\d{2}):(.*)$/s;

/** The bucket a case belongs in (FNV-1a of its id): the same for every instance and every release. */
export function loadBucketOf(caseId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < caseId.length; i++) {
    h ^= caseId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % LOAD_BUCKETS;
}

/**
 * `n.<b>`: how many cases bucket `b` held at its version `v.<b>`; `rev` moves with every reservation.
 * `m`: the first layout's members (folded into buckets at start, counted until then).
 */
interface SummaryDoc {
  _id: string;
  n?: Record<string, number>;
  v?: Record<string, number>;
  rev?: number;
  m?: Record<string, number>;
}
interface BucketDoc {
  _id: string;
  m?: Record<string, number>;
  v?: number;
}

export interface Load {
  /** Open cases the member owns (a reservation counts at once). */
  n: number;
  /** The summary's reservation revision, for `reserve`'s compare-and-set. */
  rev: number;
}

const sizeOf = (m: Record<string, unknown> | undefined) => (m ? Object.keys(m).length : 0);

/**
 * The open cases each Tier 2 member owns, for least-loaded routing, in documents that stay small
 * however many cases there are: the members are spread over `LOAD_BUCKETS` bucket documents by case
 * id, and a summary keeps each bucket's size. Adding and removing are idempotent set operations on
 * one bucket (a case already in, or already out, writes nothing); the bucket's new size then goes into
 * the summary, tagged with the bucket's version, so sizes written out of order never replace a newer
 * one. Every read and write is by `_id`.
 *
 * A reservation (`reserve`) counts a pick in the summary at once, with a compare-and-set on `rev`, so
 * two cases routed at the same moment spread; the bucket write that follows replaces that +1 with the
 * bucket's true size. What a crash between the two leaves (a +1 with no member) is corrected by the
 * next change to that bucket or by `reconcile` in the background repair.
 */
@Injectable()
export class LoadSets {
  private readonly logger = new Logger(LoadSets.name);

  constructor(@InjectModel(ID_SETS) private readonly model: Model<SummaryDoc>) {}

  private get col() {
    return this.model.collection;
  }

  async loads(staffIds: string[]): Promise<Load[]> {
    return Promise.all(
      staffIds.map(async (staffId) => {
        const doc = (await this.col.findOne({ _id: loadSummaryId(staffId) } as object)) as SummaryDoc | null;
        const n = Object.values(doc?.n ?? {}).reduce((a, b) => a + b, 0) + sizeOf(doc?.m);
        return { n, rev: doc?.rev ?? 0 };
      }),
    );
  }

  /** Whether the case is counted in the member's load (its one bucket is read). */
  async has(staffId: string, caseId: string): Promise<boolean> {
    const key = encodeFieldKey(caseId);
    const doc = (await this.col.findOne({ _id: loadBucketId(staffId, loadBucketOf(caseId)) } as object, { projection: { [`m.${key}`]: 1 } })) as BucketDoc | null;
    return doc?.m?.[key] !== undefined;
  }

  /**
   * Puts the case in its bucket and the bucket's new size in the summary. A case already there writes
   * nothing, unless a reservation counted it just now (`reserved`): then the summary's +1 is replaced by
   * the bucket's true size.
   */
  async add(staffId: string, caseId: string, reserved = false): Promise<void> {
    const b = loadBucketOf(caseId);
    const field = `m.${encodeFieldKey(caseId)}`;
    let doc: BucketDoc | null;
    try {
      doc = (await this.col.findOneAndUpdate({ _id: loadBucketId(staffId, b), [field]: { $exists: false } } as object, { $set: { [field]: 1 }, $inc: { v: 1 } }, { upsert: true, returnDocument: 'after' })) as BucketDoc | null;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      doc = null; // already a member: the bucket exists and did not match
    }
    if (doc) await this.refresh(staffId, b, doc);
    else if (reserved) await this.refresh(staffId, b, await this.bucket(staffId, b));
  }

  /** Adds many at once: one write per bucket they fall in (and one size each for the summary). */
  async addMany(staffId: string, caseIds: string[]): Promise<void> {
    const byBucket = new Map<number, string[]>();
    for (const id of caseIds) byBucket.set(loadBucketOf(id), [...(byBucket.get(loadBucketOf(id)) ?? []), id]);
    for (const [b, ids] of byBucket) {
      const $set = Object.fromEntries(ids.map((id) => [`m.${encodeFieldKey(id)}`, 1]));
      const doc = (await this.col.findOneAndUpdate({ _id: loadBucketId(staffId, b) } as object, { $set, $inc: { v: 1 } }, { upsert: true, returnDocument: 'after' })) as BucketDoc | null;
      await this.refresh(staffId, b, doc);
    }
  }

  async remove(staffId: string, caseId: string): Promise<void> {
    const b = loadBucketOf(caseId);
    const key = encodeFieldKey(caseId);
    const doc = (await this.col.findOneAndUpdate({ _id: loadBucketId(staffId, b), [`m.${key}`]: { $exists: true } } as object, { $unset: { [`m.${key}`]: '' }, $inc: { v: 1 } }, { returnDocument: 'after' })) as BucketDoc | null;
    if (doc) await this.refresh(staffId, b, doc);
    // Still listed in the first layout (not folded yet): out of there too.
    await this.col.updateOne({ _id: loadSummaryId(staffId), [`m.${key}`]: { $exists: true } } as object, { $unset: { [`m.${key}`]: '' } });
  }

  /**
   * Counts the case in the member's load if the summary is still at `rev` (as `loads` read it): false
   * when another reservation came first (read again and pick again). Then puts it in its bucket.
   * Without `rev`: counted whatever came before.
   */
  async reserve(staffId: string, rev: number | undefined, caseId: string): Promise<boolean> {
    const b = loadBucketOf(caseId);
    try {
      const res = await this.col.updateOne(
        { _id: loadSummaryId(staffId), ...(rev === undefined ? {} : { rev: rev === 0 ? { $in: [0, null] } : rev }) } as object,
        { $inc: { rev: 1, [`n.${b}`]: 1 } },
        { upsert: rev === undefined || rev === 0 },
      );
      if (res.modifiedCount + res.upsertedCount === 0) return false;
    } catch (e) {
      if (isDuplicateKey(e)) return false; // it exists at another rev
      throw e;
    }
    await this.add(staffId, caseId, true);
    return true;
  }

  private async bucket(staffId: string, b: number): Promise<BucketDoc | null> {
    return (await this.col.findOne({ _id: loadBucketId(staffId, b) } as object)) as BucketDoc | null;
  }

  /** Writes the bucket's size into the summary unless a newer version of it is there already. */
  private async refresh(staffId: string, b: number, doc: BucketDoc | null): Promise<void> {
    const v = doc?.v ?? 0;
    try {
      await this.col.updateOne(
        { _id: loadSummaryId(staffId), $or: [{ [`v.${b}`]: { $lte: v } }, { [`v.${b}`]: { $exists: false } }] } as object,
        { $set: { [`n.${b}`]: sizeOf(doc?.m), [`v.${b}`]: v } },
        { upsert: true },
      );
    } catch (e) {
      if (!isDuplicateKey(e)) throw e; // a newer size is there
    }
  }

  /**
   * Once per database, at start: load sets of the first layout (`load:<staff>` listing every member in
   * `m`) are spread into buckets, `FOLD_CHUNK` members at a time: put in their buckets, then taken out
   * of `m` in one write. A member removed meanwhile (its case resolved) is taken out of its bucket again.
   */
  async foldLegacy(): Promise<number> {
    if (await this.col.findOne({ _id: LAYOUT_MARK } as object)) return 0;
    let moved = 0;
    const legacy = this.col.find({ _id: { $regex: '^load:' }, m: { $exists: true } } as object, { projection: { _id: 1 } });
    for await (const { _id } of legacy) {
      const staffId = String(_id).slice('load:'.length);
      for (;;) {
        const doc = (await this.col.findOne({ _id } as object)) as SummaryDoc | null;
        const keys = Object.keys(doc?.m ?? {}).slice(0, FOLD_CHUNK);
        if (!keys.length) break;
        await this.addMany(staffId, keys.map(decodeFieldKey));
        const after = (await this.col.findOne({ _id } as object)) as SummaryDoc | null;
        for (const key of keys) if (after?.m?.[key] === undefined) await this.remove(staffId, decodeFieldKey(key));
        await this.col.updateOne({ _id } as object, { $unset: Object.fromEntries(keys.map((k) => [`m.${k}`, ''])) });
        moved += keys.length;
      }
      await this.col.updateOne({ _id } as object, { $unset: { m: '' } });
    }
    await this.col.updateOne({ _id: LAYOUT_MARK } as object, { $set: { at: new Date() } }, { upsert: true });
    if (moved) this.logger.log(`spread ${moved} member(s) of load sets into buckets`);
    return moved;
  }

  /**
   * Background repair (a scan of the buckets): members in a bucket other than their own (a copy of the
   * data, a changed `LOAD_BUCKETS`) are moved to theirs; every summary gets its buckets' true sizes
   * (what a crash between a reservation and its bucket write left is corrected); and each listed case
   * is offered to `check`, which takes it out if its facts say it no longer belongs (a drift no fact of
   * the case will correct). Returns the members listed.
   */
  async reconcile(check?: (staffId: string, caseId: string) => Promise<void>): Promise<number> {
    const staff = new Set<string>();
    for await (const raw of this.col.find({ _id: { $regex: '^loadb:' } } as object)) {
      const doc = raw as unknown as BucketDoc;
      const [, bb, staffId] = BUCKET_ID.exec(doc._id) ?? [];
      if (staffId === undefined) continue;
      staff.add(staffId);
      const misplaced = Object.keys(doc.m ?? {}).filter((k) => loadBucketOf(decodeFieldKey(k)) !== Number(bb));
      if (!misplaced.length) continue;
      // Into their own buckets first, then out of this one; one whose case left meanwhile is checked below.
      await this.addMany(staffId, misplaced.map(decodeFieldKey));
      await this.col.updateOne({ _id: doc._id } as object, { $unset: Object.fromEntries(misplaced.map((k) => [`m.${k}`, ''])), $inc: { v: 1 } });
      this.logger.log(`moved ${misplaced.length} member(s) of ${doc._id} to their buckets`);
    }
    let listed = 0;
    for (const staffId of staff) {
      for (let b = 0; b < LOAD_BUCKETS; b++) {
        const doc = await this.bucket(staffId, b);
        await this.refresh(staffId, b, doc);
        for (const key of Object.keys(doc?.m ?? {})) {
          listed += 1;
          if (check) await check(staffId, decodeFieldKey(key));
        }
      }
    }
    return listed;
  }
}
