import { AppError, EventEnvelope } from '@sladesk/contracts';
import { Model } from 'mongoose';

export interface VersionedDoc {
  _id: string;
  version: number;
  updatedAt: Date;
}

export interface VersionedChange {
  set: Record<string, unknown>;
  unset: string[];
}

/**
 * Read, change, write back only if nobody changed the document meanwhile (its `version`), with the
 * event that carries the new state in the same update. Returns the document after the change.
 */
export async function updateVersioned<T extends VersionedDoc>(
  model: Model<T>,
  load: () => Promise<T>,
  change: (current: T) => VersionedChange,
  event: (next: T) => EventEnvelope,
  now = new Date(),
): Promise<{ doc: T; changed: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await load();
    const { set, unset } = change(current);
    const changed =
      Object.entries(set).some(([k, v]) => JSON.stringify(current[k as keyof T]) !== JSON.stringify(v)) ||
      unset.some((k) => current[k as keyof T] !== undefined);
    if (!changed) return { doc: current, changed: false };
    const next = { ...current, ...set, version: current.version + 1, updatedAt: now } as T;
    for (const k of unset) delete next[k as keyof T];
    const update: Record<string, unknown> = {
      $set: { ...set, version: next.version, updatedAt: now },
      $push: { outbox: event(next) },
      ...(unset.length ? { $unset: Object.fromEntries(unset.map((k) => [k, ''])) } : {}),
    };
    const res = await model.updateOne({ _id: current._id, version: current.version }, update, {
      timestamps: false,
    });
    if (res.modifiedCount === 1) return { doc: next, changed: true };
  }
  throw new AppError(
    'RESOURCE.CONCURRENT_UPDATE',
    'The resource changed concurrently too many times; try again',
  );
}
