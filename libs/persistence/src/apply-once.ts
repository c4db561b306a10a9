import mongoose, { Model, UpdateQuery } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';

/** Field in which a document remembers the events already applied to it. */
export const APPLIED_FIELD = 'appliedEventIds';


/**
 * Applies `update` to the document `{ _id: id }` unless it already applied `eventId`, in one
 * single-document write (upserting it when absent). The event id is recorded atomically with the
 * effect, so a redelivered event changes nothing. Returns whether the effect was applied now.
 */
export async function applyOnce<T>(
  model: Model<T>,
  id: string,
  eventId: string,
  update: UpdateQuery<T>,
): Promise<boolean> {
  // The list grows with every event applied to this document: key documents so that it stays
  // bounded (per case, per day shard …). `$push` with `$slice` would bound it but FerretDB ignores it.
  const full = { ...update, $push: { ...(update.$push ?? {}), [APPLIED_FIELD]: eventId } } as UpdateQuery<T>;
  try {
    const res = await model.updateOne(
      { _id: id, [APPLIED_FIELD]: mongoose.trusted({ $ne: eventId }) },
      full,
      { upsert: true },
    );
    return res.modifiedCount + res.upsertedCount > 0;
  } catch (e) {
    // The document exists and already holds eventId, so the filter missed and the upsert collided.
    if (isDuplicateKey(e)) return false;
    throw e;
  }
}
