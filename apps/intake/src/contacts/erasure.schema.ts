import { ErasureReason, ErasureView, EventEnvelope } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The record that a person's data was erased: what, where, why, by whom — never the person (only the
 * sha256 of the address, which lets other services find their copies). It carries `contact.erased`
 * in its outbox, published once with it.
 */
@Schema({ collection: 'intake_erasures', versionKey: false })
export class Erasure implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) emailSha256!: string;
  @Prop() accountId?: string;
  @Prop({ type: String, required: true }) reason!: ErasureReason;
  @Prop({ type: [String], default: [] }) caseIds!: string[];
  @Prop({ required: true }) entriesErased!: number;
  @Prop({ type: [{ caseId: String, seqs: [Number] }], _id: false, default: [] }) retained!: { caseId: string; seqs: number[] }[];
  @Prop() note?: string;
  @Prop() by?: string;
  @Prop({ required: true }) at!: Date;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
}
export const ErasureSchema = SchemaFactory.createForClass(Erasure);
ErasureSchema.plugin(outboxPlugin);

export const toErasureView = (e: Erasure): ErasureView => ({
  id: e._id,
  emailSha256: e.emailSha256,
  ...(e.accountId ? { accountId: e.accountId } : {}),
  reason: e.reason,
  caseIds: e.caseIds,
  entriesErased: e.entriesErased,
  retained: (e.retained ?? []).map((r) => ({ caseId: r.caseId, seqs: r.seqs })),
  at: e.at.toISOString(),
  ...(e.by ? { by: e.by } : {}),
});
