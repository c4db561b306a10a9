import { EventEnvelope, NotificationState, NotificationView } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ _id: false })
export class Recipient {
  @Prop({ type: String }) staffId?: string;
  @Prop({ required: true }) name!: string;
  @Prop({ required: true }) email!: string;
}

/** One message to one person. `_id` is derived from its cause, so it is created once. */
@Schema({ collection: 'notifications', versionKey: false, timestamps: true })
export class Notification implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, index: true }) caseId?: string;
  @Prop({ type: String }) accountId?: string;
  @Prop({ type: String, index: true }) escalationId?: string;
  /** Which notification of its escalation this is: 0 the first, then each reminder. */
  @Prop({ type: Number }) repeat?: number;
  @Prop({ type: String }) incidentId?: string;
  @Prop({ type: Recipient, required: true }) recipient!: Recipient;
  @Prop({ type: [String], default: ['email'] }) channels!: ('email' | 'intercom')[];
  @Prop({ required: true }) subject!: string;
  @Prop({ required: true }) text!: string;
  @Prop({ default: false }) critical!: boolean;
  @Prop({ type: String, required: true, index: true }) state!: NotificationState;
  /** Not before: the recipient's next working hour for non-critical ones, or the next retry. */
  @Prop({ required: true, index: true }) sendAfter!: Date;
  /** A dispatcher owns the notification until then (so two instances never send it twice at once). */
  @Prop({ default: () => new Date(0) }) leaseUntil!: Date;
  @Prop({ default: 0 }) attempts!: number;
  @Prop({ type: Date }) sentAt?: Date;
  @Prop({ type: String }) lastError?: string;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
  createdAt!: Date;
  updatedAt!: Date;
}
export const NotificationSchema = SchemaFactory.createForClass(Notification);
NotificationSchema.plugin(outboxPlugin);

export const toNotificationView = (n: Notification): NotificationView => ({
  id: n._id,
  ...(n.caseId ? { caseId: n.caseId } : {}),
  ...(n.escalationId ? { escalationId: n.escalationId } : {}),
  ...(n.incidentId ? { incidentId: n.incidentId } : {}),
  recipient: { ...(n.recipient.staffId ? { staffId: n.recipient.staffId } : {}), name: n.recipient.name, email: n.recipient.email },
  channels: n.channels,
  subject: n.subject,
  text: n.text,
  critical: n.critical,
  state: n.state,
  sendAfter: n.sendAfter.toISOString(),
  attempts: n.attempts,
  ...(n.sentAt ? { sentAt: n.sentAt.toISOString() } : {}),
  ...(n.lastError ? { lastError: n.lastError } : {}),
  createdAt: n.createdAt.toISOString(),
});
