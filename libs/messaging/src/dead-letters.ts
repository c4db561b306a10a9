import { Connection, Model, Schema } from 'mongoose';

export interface DeadLetter {
  _id: string;
  consumer: string;
  subject: string;
  streamSequence: number;
  deliveries: number;
  reason: string;
  /** The message as received, as text (it may not even be JSON). */
  data: string;
  headers: Record<string, string[]>;
  eventId?: string;
  deadAt: Date;
}

const DeadLetterSchema = new Schema<DeadLetter>(
  {
    _id: String,
    consumer: { type: String, required: true, index: true },
    subject: { type: String, required: true },
    streamSequence: Number,
    deliveries: Number,
    reason: String,
    data: String,
    headers: Schema.Types.Mixed,
    eventId: String,
    deadAt: { type: Date, index: true },
  },
  { collection: 'dead_letters', versionKey: false },
);

/** Keeps every message a consumer gave up on, keyed by consumer and stream sequence (so, once). */
export class DeadLetterStore {
  readonly model: Model<DeadLetter>;

  constructor(connection: Connection) {
    this.model = connection.models.DeadLetter ?? connection.model<DeadLetter>('DeadLetter', DeadLetterSchema);
  }

  async record(letter: Omit<DeadLetter, '_id' | 'deadAt'>): Promise<void> {
    const _id = `${letter.consumer}:${letter.streamSequence}`;
    await this.model.updateOne(
      { _id },
      { $setOnInsert: { ...letter, _id, deadAt: new Date() } },
      { upsert: true },
    );
  }
}
