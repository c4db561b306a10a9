import { EscalationLevel, EscalationReason, EscalationState, EscalationView, EventEnvelope } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** `_id` is derived from what caused the escalation, so a redelivered cause finds it instead of duplicating it. */
@Schema({ collection: 'escalations', versionKey: false, timestamps: true })
export class Escalation implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, index: true }) caseId?: string;
  @Prop({ type: String, index: true }) incidentId?: string;
  @Prop({ type: String, index: true }) accountId?: string;
  @Prop({ type: String, required: true, index: true }) level!: EscalationLevel;
  @Prop({ type: String, required: true }) reason!: EscalationReason;
  @Prop({ default: '' }) detail!: string;
  @Prop({ type: String, required: true, index: true }) state!: EscalationState;
  @Prop({ type: String }) assigneeId?: string;
  @Prop({ type: [String], default: [] }) recipients!: string[];
  @Prop({ default: 0 }) repeats!: number;
  /** Unacknowledged by then: repeat, then move up. Unset once acknowledged or closed. */
  @Prop({ type: Date, index: true }) ackDueAt?: Date;
  @Prop({ type: Date }) acknowledgedAt?: Date;
  @Prop({ type: String }) acknowledgedBy?: string;
  /** Where its effect on the case stands among the case's facts (see case-facts.ts `Order`). */
  @Prop({ type: String }) order?: string;
  /** Whether this escalation's notifications bypass working hours. */
  @Prop({ default: false }) critical!: boolean;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
  createdAt!: Date;
  updatedAt!: Date;
}
export const EscalationSchema = SchemaFactory.createForClass(Escalation);
EscalationSchema.plugin(outboxPlugin);

export const toEscalationView = (e: Escalation): EscalationView => ({
  id: e._id,
  ...(e.caseId ? { caseId: e.caseId } : {}),
  ...(e.incidentId ? { incidentId: e.incidentId } : {}),
  ...(e.accountId ? { accountId: e.accountId } : {}),
  level: e.level,
  reason: e.reason,
  detail: e.detail,
  state: e.state,
  ...(e.assigneeId ? { assigneeId: e.assigneeId } : {}),
  recipients: e.recipients,
  repeats: e.repeats,
  ...(e.ackDueAt ? { ackDueAt: e.ackDueAt.toISOString() } : {}),
  ...(e.acknowledgedAt ? { acknowledgedAt: e.acknowledgedAt.toISOString() } : {}),
  ...(e.acknowledgedBy ? { acknowledgedBy: e.acknowledgedBy } : {}),
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});
