import { mongo } from 'mongoose';

/** The one write FerretDB and MongoDB both make atomic under concurrency: an insert refused for a taken `_id`. */
export const isDuplicate = (e: unknown): boolean =>
  e instanceof mongo.MongoServerError && e.code === 11000
    ? true
    : e instanceof mongo.MongoBulkWriteError && allDuplicates(Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors]);

/** A bulk write failed only on taken `_id`s: at least one write error, each a duplicate (a dropped connection has none). */
const allDuplicates = (errors: { code?: number }[]): boolean => errors.length > 0 && errors.every((w) => w?.code === 11000);

/** Inserts documents, ignoring those whose `_id` already exists. */
export async function insertIgnoringDuplicates<T extends mongo.Document>(c: mongo.Collection<T>, docs: mongo.OptionalUnlessRequiredId<T>[]): Promise<void> {
  if (docs.length === 0) return;
  try {
    await c.insertMany(docs, { ordered: false });
  } catch (e) {
    if (!isDuplicate(e)) throw e;
  }
}
