import { decodeFieldKey, encodeFieldKey, isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Schema } from 'mongoose';

/** A named set of ids with a number each, one document: `{ _id: <set>, m: { <id>: n }, rev }`. */
export const IdSetSchema = new Schema({ _id: String, m: Schema.Types.Mixed, rev: Number }, { collection: 'esc_sets', versionKey: false, strict: false });
export const ID_SETS = 'EscIdSet';
const BOUNDED_ATTEMPTS = 20;

interface SetDoc {
  _id: string;
  m?: Record<string, number>;
  rev?: number;
}

export interface IdSet {
  members: Map<string, number>;
  rev: number;
}

/**
 * Sets kept by `_id` in place of queries that would read a whole collection on FerretDB: the open cases
 * of each Tier 2 member, the cases of one account and category per day, the staff of each role.
 * Adding and removing are idempotent; `reserve` is a compare-and-set for callers that pick by size.
 */
@Injectable()
export class IdSets {
  constructor(@InjectModel(ID_SETS) private readonly model: Model<SetDoc>) {}

  async add(set: string, id: string, value = 1): Promise<void> {
    await this.model.collection.updateOne({ _id: set } as object, { $set: { [`m.${encodeFieldKey(id)}`]: value } }, { upsert: true });
  }

  /** Takes `id` out (and moves `rev` on, so that a compare-and-set writer that read it in starts over). */
  async remove(set: string, id: string): Promise<void> {
    await this.model.collection.updateOne({ _id: set, [`m.${encodeFieldKey(id)}`]: { $exists: true } } as object, {
      $unset: { [`m.${encodeFieldKey(id)}`]: '' },
      $inc: { rev: 1 },
    });
  }

  /**
   * Adds `id` with its time `at` to a set that keeps only its `keep` earliest and `keep` latest members
   * (by time, then id): the document stays bounded however many members it is given. Enough for
   * "are there `keep` members between two times", exactly, when the times fall in this set's span or
   * at its ends (see repeat-category.ts). A compare-and-set on `rev`; an unchanged set is not written.
   */
  async addBounded(set: string, id: string, at: number, keep: number): Promise<void> {
    const key = encodeFieldKey(id);
    for (let attempt = 0; attempt < BOUNDED_ATTEMPTS; attempt++) {
      const doc = (await this.model.collection.findOne({ _id: set } as object)) as SetDoc | null;
      const m = doc?.m ?? {};
      if (m[key] === at) return;
      const members = Object.entries({ ...m, [key]: at }).sort(([ka, a], [kb, b]) => a - b || (ka < kb ? -1 : ka > kb ? 1 : 0));
      const kept = members.length > 2 * keep ? [...members.slice(0, keep), ...members.slice(-keep)] : members;
      const next = Object.fromEntries(kept);
      if (!(key in next) && Object.keys(m).length === kept.length && kept.every(([k]) => k in m)) return; // it falls in the middle: nothing changes
      try {
        const res = doc
          ? await this.model.collection.updateOne({ _id: set, rev: doc.rev ?? { $in: [0, null] } } as object, { $set: { m: next }, $inc: { rev: 1 } })
          : await this.model.collection.insertOne({ _id: set, m: next, rev: 1 } as never);
        if (('modifiedCount' in res && res.modifiedCount > 0) || ('insertedId' in res && res.insertedId)) return;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e; // created meanwhile: read again
      }
    }
    throw new Error(`set ${set} kept changing while adding ${id}; the event is retried`);
  }

  async read(set: string): Promise<IdSet> {
    const doc = (await this.model.collection.findOne({ _id: set } as object)) as SetDoc | null;
    return {
      members: new Map(Object.entries(doc?.m ?? {}).map(([k, v]) => [decodeFieldKey(k), v])),
      rev: doc?.rev ?? 0,
    };
  }

  readMany(sets: string[]): Promise<IdSet[]> {
    return Promise.all(sets.map((s) => this.read(s)));
  }

  /** Adds `id` only if the set is still at `rev` (as read): false when another writer came first. */
  async reserve(set: string, rev: number, id: string, value = 1): Promise<boolean> {
    const update = { $set: { [`m.${encodeFieldKey(id)}`]: value }, $inc: { rev: 1 } };
    try {
      const res = await this.model.collection.updateOne(
        rev === 0 ? ({ _id: set, rev: { $in: [0, null] } } as object) : ({ _id: set, rev } as object),
        update,
        { upsert: true },
      );
      return res.modifiedCount + res.upsertedCount > 0;
    } catch (e) {
      if (isDuplicateKey(e)) return false; // it exists at another rev
      throw e;
    }
  }
}
