import { AccountView, EventEnvelope } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Contact, ContactSchema } from '../cases/case.schema';

@Schema({ collection: 'accounts', timestamps: true, versionKey: false })
export class Account implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) timeZone!: string;
  @Prop() csmId?: string;
  @Prop({ type: [ContactSchema], default: [] }) contacts!: Contact[];
  /** Lower-case domains: mail from them belongs to this account. */
  @Prop({ type: [String], default: [], index: true }) emailDomains!: string[];
  @Prop({ required: true }) version!: number;
  @Prop({ required: true, unique: true }) idempotencyScope!: string;
  @Prop({ required: true }) requestHash!: string;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
  createdAt!: Date;
  updatedAt!: Date;
}
export const AccountSchema = SchemaFactory.createForClass(Account);
AccountSchema.plugin(outboxPlugin);
AccountSchema.index({ 'contacts.email': 1 });

export const toAccountView = (a: Account): AccountView => ({
  id: a._id,
  name: a.name,
  timeZone: a.timeZone,
  ...(a.csmId ? { csmId: a.csmId } : {}),
  contacts: a.contacts.map((c) => ({ name: c.name, email: c.email })),
  emailDomains: [...a.emailDomains],
  version: a.version,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});
