import { decodeFieldKey, encodeFieldKey, isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Schema } from 'mongoose';

/** A named set of ids with a number each, one document: `{ _id: <set>, m: { <id>: n }, rev }`. */
export const IdSetSchema = new Schema({ _id: String, m: Schema.Types.Mixed, rev: Number }, { collection: 'esc_sets', versionKey: false, strict: false });
export const ID_SETS = 'EscIdSet';

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

  async remove(set: string, id: string): Promise<void> {
    await this.model.collection.updateOne({ _id: set } as object, { $unset: { [`m.${encodeFieldKey(id)}`]: '' } });
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
