import { CaseStatus, Category, EscalationLevel, Severity } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** What the escalation rules need to know about a case, kept from case and escalation events. */
@Schema({ collection: 'esc_cases', versionKey: false })
export class CaseState {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) accountId!: string;
  @Prop({ type: String, required: true }) category!: Category;
  @Prop({ type: String, required: true }) severity!: Severity;
  @Prop({ type: String, required: true }) status!: CaseStatus;
  @Prop({ type: String, required: true }) level!: EscalationLevel;
  @Prop({ type: String, index: true }) assigneeId?: string;
  @Prop({ default: 0 }) reopenCount!: number;
  @Prop({ required: true, index: true }) openedAt!: Date;
  /** When the "unresolved for too long" rule fires (business time from the policy); unset once resolved. */
  @Prop({ type: Date, index: true }) unresolvedDueAt?: Date;
  @Prop({ type: [String], default: [] }) appliedEventIds!: string[];
}
export const CaseStateSchema = SchemaFactory.createForClass(CaseState);
CaseStateSchema.index({ accountId: 1, category: 1, openedAt: 1 });
