import { EventEnvelope, NotificationState } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ _id: false })
export class LegacyRecipient {
  @Prop({ type: String }) staffId?: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) email!: string;
}

/**
 * A notification as escalation stored it before it sent through `@sladesk/outbound`, in `notifications`.
 * Read only to move what is left there into `outbound_deliveries` (see LegacyNotifications); nothing
 * new is written here. Kept registered with the outbox relay so that events it still owes go out.
 */
@Schema({ collection: 'notifications', versionKey: false, timestamps: true })
export class LegacyNotification implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String }) caseId?: string;
  @Prop({ type: String }) accountId?: string;
  @Prop({ type: String }) escalationId?: string;
  @Prop({ type: Number }) repeat?: number;
  @Prop({ type: String }) incidentId?: string;
  @Prop({ type: LegacyRecipient, required: true }) recipient!: LegacyRecipient;
  @Prop({ type: [String], default: ['email'] }) channels!: ('email' | 'intercom')[];
  @Prop({ required: true }) subject!: string;
  @Prop({ required: true }) text!: string;
  @Prop({ default: false }) critical!: boolean;
  @Prop({ type: String, required: true }) state!: NotificationState;
  @Prop({ required: true }) sendAfter!: Date;
  @Prop({ default: () => new Date(0) }) leaseUntil!: Date;
  @Prop({ default: 0 }) attempts!: number;
  @Prop({ type: Date }) sentAt?: Date;
  @Prop({ type: String }) lastError?: string;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
  createdAt!: Date;
  updatedAt!: Date;
}
export const LegacyNotificationSchema = SchemaFactory.createForClass(LegacyNotification);
LegacyNotificationSchema.plugin(outboxPlugin);
