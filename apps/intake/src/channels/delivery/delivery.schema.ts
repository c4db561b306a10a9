import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

@Schema({ _id: false })
export class OutgoingEmail {
  @Prop({ required: true }) to!: string;
  @Prop({ required: true }) subject!: string;
  @Prop({ required: true }) text!: string;
  /** Ours, chosen before sending: a customer's reply names it, which threads the reply into the case. */
  @Prop({ required: true }) messageId!: string;
  @Prop() inReplyTo?: string;
  @Prop({ type: [String], default: undefined }) references?: string[];
}

@Schema({ _id: false })
export class OutgoingIntercomReply {
  @Prop({ required: true }) conversationId!: string;
  @Prop() adminId?: string;
  @Prop({ required: true }) body!: string;
}

/** A message to the customer, queued in the case document by the change that caused it. */
@Schema({ _id: false })
export class Delivery {
  @Prop({ required: true }) id!: string;
  @Prop({ type: String, required: true }) channel!: 'email' | 'intercom';
  /** The timeline entry this message carries. */
  @Prop({ required: true }) entrySeq!: number;
  @Prop({ default: 0 }) attempts!: number;
  @Prop({ required: true }) nextAttemptAt!: Date;
  @Prop() lastError?: string;
  @Prop({ type: OutgoingEmail }) email?: OutgoingEmail;
  @Prop({ type: OutgoingIntercomReply }) intercom?: OutgoingIntercomReply;
}
export const DeliverySchema = SchemaFactory.createForClass(Delivery);

/** What became of one message to the customer (`_id` = the delivery id). */
@Schema({ collection: 'case_deliveries', versionKey: false })
export class DeliveryLogEntry {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) caseId!: string;
  @Prop({ type: String, required: true }) channel!: 'email' | 'intercom';
  @Prop({ required: true }) entrySeq!: number;
  @Prop({ type: String, required: true }) outcome!: 'sent' | 'failed';
  @Prop({ required: true }) at!: Date;
  @Prop({ required: true }) attempts!: number;
  @Prop() error?: string;
}
export const DeliveryLogEntrySchema = SchemaFactory.createForClass(DeliveryLogEntry);
