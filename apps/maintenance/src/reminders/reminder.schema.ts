import { EventEnvelope } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export type ReminderState = 'pending' | 'sent' | 'cancelled' | 'superseded';

/**
 * One reminder of one version of a window's schedule: `_id = <windowId>:<offset>:<version>`, so
 * planning it twice (a retry, a redelivered event, a second instance) finds the same document. It is
 * sent by the one conditional update `pending → sent` that also carries its event.
 */
@Schema({ collection: 'maintenance_reminders', versionKey: false })
export class Reminder implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) windowId!: string;
  @Prop({ required: true }) offset!: string;
  @Prop({ required: true }) version!: number;
  @Prop({ required: true, index: true }) dueAt!: Date;
  @Prop({ type: String, required: true }) state!: ReminderState;
  @Prop() sentAt?: Date;
  /** The instance that sent it (evidence for the exactly-once tests and for operators). */
  @Prop() sentBy?: string;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
}
export const ReminderSchema = SchemaFactory.createForClass(Reminder);
ReminderSchema.plugin(outboxPlugin);
