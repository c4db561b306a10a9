import { decodeFieldKey, encodeFieldKey, isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Schema } from 'mongoose';

/**
 * A named set of ids with a number each. A set has its own document, `{ _id: <set>, m: { <id>: n }, rev }`,
 * except a day set (a name ending in `:YYYY-MM-DD`), which is one field of its month's document:
 * `{ _id: <set without -DD>, d: { <DD>: { <id>: n } }, rev }`. A rule that reads a month of day sets
 * then reads two or three documents, not 31.
 */
export const IdSetSchema = new Schema({ _id: String, m: Schema.Types.Mixed, d: Schema.Types.Mixed, rev: Number }, { collection: 'esc_sets', versionKey: false, strict: false });
export const ID_SETS = 'EscIdSet';
const BOUNDED_ATTEMPTS = 20;
/** Marks that day sets of their own documents (the layout before month documents) were folded in. */
const LAYOUT_MARK = '~layout:day-sets-in-months';

interface SetDoc {
  _id: string;
  m?: Record<string, number>;
  d?: Record<string, Record<string, number>>;
  rev?: number;
}

export interface IdSet {
  members: Map<string, number>;
  rev: number;
}

/** Where a set is stored: its document and the field holding its members. */
export interface SetPlace {
  doc: string;
  path: string;
}

const DAY_SET = /^(.*:\d{4}-\d{2})-(\d{2})$/;

export function placeOf(set: string): SetPlace {
  const day = DAY_SET.exec(set);
  return day ? { doc: day[1]!, path: `d.${day[2]}` } : { doc: set, path: 'm' };
}

function membersAt(doc: SetDoc | null, path: string): Record<string, number> {
  if (!doc) return {};
  return (path === 'm' ? doc.m : doc.d?.[path.slice(2)]) ?? {};
}

const byTimeThenId = ([ka, a]: [string, number], [kb, b]: [string, number]) => a - b || (ka < kb ? -1 : ka > kb ? 1 : 0);

/**
 * Sets kept by `_id` in place of queries that would read a whole collection on FerretDB: the open cases
 * of each Tier 2 member, the cases of one account and category per day, the staff of each role.
 * Adding and removing are idempotent; `reserve` is a compare-and-set for callers that pick by size.
 */
@Injectable()
export class IdSets {
  private readonly logger = new Logger(IdSets.name);

  constructor(@InjectModel(ID_SETS) private readonly model: Model<SetDoc>) {}

  async add(set: string, id: string, value = 1): Promise<void> {
    const { doc, path } = placeOf(set);
    await this.model.collection.updateOne({ _id: doc } as object, { $set: { [`${path}.${encodeFieldKey(id)}`]: value } }, { upsert: true });
  }

  /** Takes `id` out (and moves `rev` on, so that a compare-and-set writer that read it in starts over). */
  async remove(set: string, id: string): Promise<void> {
    const { doc, path } = placeOf(set);
    const field = `${path}.${encodeFieldKey(id)}`;
    await this.model.collection.updateOne({ _id: doc, [field]: { $exists: true } } as object, { $unset: { [field]: '' }, $inc: { rev: 1 } });
  }

  /**
   * Adds `id` with its time `at` to a set that keeps only its `keep` earliest and `keep` latest members
   * (by time, then id): the document stays bounded however many members it is given. Enough for
   * "are there `keep` members between two times", exactly, when the times fall in this set's span or
   * at its ends (see repeat-category.ts).
   *
   * While there is room, a member is added by a plain `$set`: adding commutes, so concurrent writers
   * need no compare-and-set. A member in the middle of what a writer read stays in the middle of any
   * set with more members, so dropping the middle is safe on a stale read too, unless a member was
   * removed meanwhile: the write that drops members is a compare-and-set on `rev`, which `remove` moves
   * on. Concurrent writers can leave a set briefly above 2 × `keep`; the next full write trims it.
   */
  async addBounded(set: string, id: string, at: number, keep: number): Promise<void> {
    const { doc: docId, path } = placeOf(set);
    const key = encodeFieldKey(id);
    const field = `${path}.${key}`;
    for (let attempt = 0; attempt < BOUNDED_ATTEMPTS; attempt++) {
      const doc = (await this.model.collection.findOne({ _id: docId } as object)) as SetDoc | null;
      const m = membersAt(doc, path);
      if (m[key] === at) return;
      const members = Object.entries({ ...m, [key]: at }).sort(byTimeThenId);
      try {
        if (members.length <= 2 * keep) {
          await this.model.collection.updateOne({ _id: docId } as object, { $set: { [field]: at } }, { upsert: true });
          return;
        }
        const kept = new Set([...members.slice(0, keep), ...members.slice(-keep)].map(([k]) => k));
        if (!kept.has(key) && !(key in m) && Object.keys(m).every((k) => kept.has(k))) return; // it falls in the middle: nothing changes
        const $unset = Object.fromEntries(members.filter(([k]) => !kept.has(k)).map(([k]) => [`${path}.${k}`, '']));
        const update = { ...(kept.has(key) ? { $set: { [field]: at } } : {}), ...(Object.keys($unset).length ? { $unset } : {}), $inc: { rev: 1 } };
        const res = doc
          ? await this.model.collection.updateOne({ _id: docId, rev: doc.rev ?? { $in: [0, null] } } as object, update)
          : await this.model.collection.updateOne({ _id: docId } as object, update, { upsert: true });
        if (res.modifiedCount + res.upsertedCount > 0) return;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e; // created meanwhile: read again
      }
    }
    throw new Error(`set ${set} kept changing while adding ${id}; the event is retried`);
  }

  /**
   * Brings every day set of the month documents named (all when none are) down to its `keep` earliest
   * and `keep` latest members, what `addBounded` keeps: for data that did not come through `addBounded`
   * (a copy, such as the intake benchmark's seed). Each day set is replaced whole with a compare-and-set
   * on `rev` (a write that drops thousands of members one `$unset` each holds FerretDB's writer for
   * seconds). Returns the members dropped.
   */
  async trimDaySets(keep: number, docs?: string[]): Promise<number> {
    let dropped = 0;
    const ids = docs ?? (await this.model.collection.find({ d: { $exists: true } } as object, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id));
    for (const docId of ids) {
      for (let attempt = 0; attempt < BOUNDED_ATTEMPTS; attempt++) {
        const doc = (await this.model.collection.findOne({ _id: docId } as object)) as SetDoc | null;
        const $set: Record<string, Record<string, number>> = {};
        let n = 0;
        for (const [dd, m] of Object.entries(doc?.d ?? {})) {
          const members = Object.entries(m).sort(byTimeThenId);
          if (members.length <= 2 * keep) continue;
          $set[`d.${dd}`] = Object.fromEntries([...members.slice(0, keep), ...members.slice(-keep)]);
          n += members.length - 2 * keep;
        }
        if (!n) break;
        const res = await this.model.collection.updateOne({ _id: docId, rev: doc!.rev ?? { $in: [0, null] } } as object, { $set, $inc: { rev: 1 } });
        if (res.modifiedCount) {
          dropped += n;
          break;
        }
      }
    }
    return dropped;
  }

  async read(set: string): Promise<IdSet> {
    return (await this.readMany([set]))[0]!;
  }

  /** Each set once; sets sharing a document (day sets of one month) cost one read together. */
  async readMany(sets: string[]): Promise<IdSet[]> {
    const places = sets.map(placeOf);
    const docs = new Map<string, Promise<SetDoc | null>>();
    for (const { doc } of places) if (!docs.has(doc)) docs.set(doc, this.model.collection.findOne({ _id: doc } as object) as Promise<SetDoc | null>);
    return Promise.all(
      places.map(async ({ doc, path }) => {
        const found = await docs.get(doc)!;
        return {
          members: new Map(Object.entries(membersAt(found, path)).map(([k, v]) => [decodeFieldKey(k), v])),
          rev: found?.rev ?? 0,
        };
      }),
    );
  }

  /** Adds `id` only if the set is still at `rev` (as read): false when another writer came first. */
  async reserve(set: string, rev: number, id: string, value = 1): Promise<boolean> {
    const { doc, path } = placeOf(set);
    const update = { $set: { [`${path}.${encodeFieldKey(id)}`]: value }, $inc: { rev: 1 } };
    try {
      const res = await this.model.collection.updateOne(
        rev === 0 ? ({ _id: doc, rev: { $in: [0, null] } } as object) : ({ _id: doc, rev } as object),
        update,
        { upsert: true },
      );
      return res.modifiedCount + res.upsertedCount > 0;
    } catch (e) {
      if (isDuplicateKey(e)) return false; // it exists at another rev
      throw e;
    }
  }

  /**
   * Once per database: day sets stored as documents of their own (before month documents) are folded
   * into their month's document and deleted. A scan of this collection for those names, run at start
   * until it is marked done; safe to run twice at once (the fold sets the same values, deletes are idempotent).
   */
  async foldLegacyDaySets(): Promise<number> {
    if (await this.model.collection.findOne({ _id: LAYOUT_MARK } as object)) return 0;
    let n = 0;
    const legacy = this.model.collection.find({ _id: { $regex: '^.*:[0-9]{4}-[0-9]{2}-[0-9]{2}$' } } as object, { batchSize: 200 });
    for await (const raw of legacy) {
      const old = raw as unknown as SetDoc;
      const { doc, path } = placeOf(old._id);
      const $set = Object.fromEntries(Object.entries(old.m ?? {}).map(([k, v]) => [`${path}.${k}`, v]));
      if (Object.keys($set).length) await this.model.collection.updateOne({ _id: doc } as object, { $set, $inc: { rev: 1 } }, { upsert: true });
      await this.model.collection.deleteOne({ _id: old._id } as object);
      n += 1;
    }
    await this.model.collection.updateOne({ _id: LAYOUT_MARK } as object, { $set: { at: new Date() } }, { upsert: true });
    if (n) this.logger.log(`folded ${n} day set(s) into their month documents`);
    return n;
  }
}
