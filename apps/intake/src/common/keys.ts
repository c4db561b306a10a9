import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel, Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { createHash } from 'node:crypto';
import { Model } from 'mongoose';

/**
 * Every secondary key intake looks up on a hot path, as a document keyed by that value: an
 * idempotency scope, a case number, an Intercom conversation, an email Message-ID, the source of a
 * timeline entry, an account's contact address or mail domain, a staff member's Intercom id or address.
 * On FerretDB only `_id` lookups use an index; on MongoDB this is one index seek as well. The
 * documents they point to keep their own secondary indexes for MongoDB, and stay the truth: a key
 * may point at something that was never written (a crash between the two writes), so readers check.
 */
@Schema({ collection: 'intake_keys', versionKey: false })
export class Key {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop() caseId?: string;
  /** Intercom conversations: every case opened for it, oldest first (a follow-up is a new case). */
  @Prop({ type: [String], default: undefined }) caseIds?: string[];
  @Prop() accountId?: string;
  @Prop() staffId?: string;
  @Prop() seq?: number;
  @Prop() requestHash?: string;
}
export const KeySchema = SchemaFactory.createForClass(Key);

export type KeyKind =
  | 'scope'
  | 'number'
  | 'intercom'
  | 'msgid'
  | 'src'
  | 'account-email'
  | 'account-domain'
  | 'staff-intercom'
  | 'staff-email';

/** `_id` of a key; long values (Message-IDs may be ~1000 characters) are hashed to keep it short. */
export function keyId(kind: KeyKind, value: string): string {
  const v = value.length > 200 ? `sha256:${createHash('sha256').update(value).digest('hex')}` : value;
  return `${kind}:${v}`;
}

@Injectable()
export class Keys {
  constructor(@InjectModel(Key.name) readonly model: Model<Key>) {}

  get(kind: KeyKind, value: string): Promise<Key | null> {
    return this.model.findById(keyId(kind, value)).lean<Key>();
  }

  /** The keys of several values, in their order (missing ones skipped). */
  async many(kind: KeyKind, values: string[]): Promise<Key[]> {
    const found = await Promise.all(values.map((v) => this.get(kind, v)));
    return found.filter((k): k is Key => k !== null);
  }

  /** Creates the key unless it exists; returns the key as stored (the first writer's). */
  async claim(kind: KeyKind, value: string, fields: Omit<Key, '_id'>): Promise<{ key: Key; created: boolean }> {
    const _id = keyId(kind, value);
    try {
      await this.model.create({ _id, ...fields });
      return { key: { _id, ...fields }, created: true };
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      return { key: (await this.model.findById(_id).lean<Key>())!, created: false };
    }
  }

  /** Creates or overwrites the key. */
  async put(kind: KeyKind, value: string, fields: Omit<Key, '_id'>): Promise<void> {
    await this.model.updateOne({ _id: keyId(kind, value) }, { $set: fields }, { upsert: true });
  }

  /** Appends a case to a key's list (Intercom conversations). */
  async addCase(kind: KeyKind, value: string, caseId: string): Promise<void> {
    await this.model.updateOne({ _id: keyId(kind, value) }, { $addToSet: { caseIds: caseId } }, { upsert: true });
  }

  async remove(kind: KeyKind, value: string): Promise<void> {
    await this.model.deleteOne({ _id: keyId(kind, value) });
  }
}
