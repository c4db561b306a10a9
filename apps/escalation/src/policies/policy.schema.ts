import { EscalationPolicyRequest, EscalationPolicyView } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';

/** `_id` is `default` or `account:<id>`; `rules` holds only what the policy sets. */
@Schema({ collection: 'esc_policies', versionKey: false, timestamps: true })
export class EscalationPolicy {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String }) accountId?: string;
  @Prop({ type: MongooseSchema.Types.Mixed, default: {} }) rules!: Omit<EscalationPolicyRequest, 'accountId'>;
  @Prop({ default: 1 }) version!: number;
  updatedAt!: Date;
}
export const EscalationPolicySchema = SchemaFactory.createForClass(EscalationPolicy);

export type EffectivePolicy = Omit<EscalationPolicyView, 'id' | 'accountId' | 'version' | 'updatedAt'>;

/** The contract's escalation process, as shipped. */
export const CONTRACT_DEFAULTS: EffectivePolicy = {
  technicalToTier2: true,
  warningNotifiesAssignee: true,
  breachEscalates: true,
  reopenedAtLeast: 2,
  repeatCategoryCases: 3,
  repeatWindowDays: 30,
  unresolvedAfter: 'PT40H',
  unresolvedHours: 'support_hours',
  platformWideAccounts: 3,
  criticalIncidentToExecutive: true,
  ackTimeouts: { tier1: 'PT30M', tier2: 'PT15M', executive: 'PT30M' },
  maxRepeats: 2,
  tier2Assignment: 'least_loaded',
};
