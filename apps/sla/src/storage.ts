import { isDuplicateKey } from '@sladesk/persistence';
import { mongo } from 'mongoose';

/** The one write FerretDB and MongoDB both make atomic under concurrency: an insert refused for a taken `_id`. */
export const isDuplicate = isDuplicateKey;

/** Inserts documents, ignoring those whose `_id` already exists. */
export async function insertIgnoringDuplicates<T extends mongo.Document>(c: mongo.Collection<T>, docs: mongo.OptionalUnlessRequiredId<T>[]): Promise<void> {
  if (docs.length === 0) return;
  try {
    await c.insertMany(docs, { ordered: false });
  } catch (e) {
    if (!isDuplicate(e)) throw e;
  }
}
