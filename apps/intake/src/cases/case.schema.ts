import { CaseStatus, CaseView, Category, Channel, Severity } from '@sladesk/contracts';
import { OutboxEntrySchema, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { EventEnvelope } from '@sladesk/contracts';

@Schema({ _id: false })
export class Contact {
  @Prop({ required: true }) name!: string;
  @Prop({ required: true, lowercase: true }) email!: string;
}

@Schema({ collection: 'cases', timestamps: true, versionKey: 'version' })
export class Case implements WithOutbox {
  /** uuid v7: time-ordered, so `_id` order is creation order (cursor pagination relies on it). */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, unique: true }) number!: number;
  @Prop({ required: true, index: true }) accountId!: string;
  /** `accountId:Idempotency-Key`, or the id itself when the client sent no key: always set, so unique works everywhere. */
  @Prop({ required: true, unique: true }) idempotencyScope!: string;
  /** Fingerprint of the request body that created the case, to reject a key reused for another body. */
  @Prop({ required: true }) requestHash!: string;
  @Prop({ type: Contact, required: true }) contact!: Contact;
  @Prop({ type: String, required: true }) channel!: Channel;
  @Prop({ required: true }) subject!: string;
  @Prop({ default: '' }) description!: string;
  @Prop({ type: String, required: true }) severity!: Severity;
  @Prop({ type: String, required: true }) category!: Category;
  @Prop({ type: String, required: true, index: true }) status!: CaseStatus;
  @Prop({ required: true }) receivedAt!: Date;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
  createdAt!: Date;
  updatedAt!: Date;
}

export const CaseSchema = SchemaFactory.createForClass(Case);

export function toCaseView(c: Case): CaseView {
  return {
    id: c._id,
    number: c.number,
    accountId: c.accountId,
    contact: { name: c.contact.name, email: c.contact.email },
    channel: c.channel,
    subject: c.subject,
    description: c.description,
    severity: c.severity,
    category: c.category,
    status: c.status,
    receivedAt: c.receivedAt.toISOString(),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

@Schema({ collection: 'counters', versionKey: false })
export class Counter {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, default: 0 }) value!: number;
}
export const CounterSchema = SchemaFactory.createForClass(Counter);
