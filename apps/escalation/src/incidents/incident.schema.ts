import { EventEnvelope, IncidentView, Severity } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ collection: 'incidents', versionKey: false, timestamps: true })
export class Incident implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, unique: true }) number!: number;
  @Prop({ required: true }) title!: string;
  @Prop({ default: '' }) description!: string;
  @Prop({ type: String, required: true }) severity!: Severity;
  @Prop({ type: String, required: true, index: true }) state!: 'open' | 'restored';
  @Prop({ type: [String], default: [] }) caseIds!: string[];
  @Prop({ type: [String], default: [] }) accountIds!: string[];
  @Prop({ default: false }) platformWide!: boolean;
  @Prop({ required: true }) openedAt!: Date;
  @Prop({ type: Date }) restoredAt?: Date;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
}
export const IncidentSchema = SchemaFactory.createForClass(Incident);
IncidentSchema.plugin(outboxPlugin);

export const toIncidentView = (i: Incident): IncidentView => ({
  id: i._id,
  number: i.number,
  title: i.title,
  description: i.description,
  severity: i.severity,
  state: i.state,
  caseIds: i.caseIds,
  accountIds: i.accountIds,
  platformWide: i.platformWide,
  openedAt: i.openedAt.toISOString(),
  ...(i.restoredAt ? { restoredAt: i.restoredAt.toISOString() } : {}),
});
