import { Channel, ReviewItemView, ReviewStatus } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Attachment, AttachmentSchema } from '../../cases/case.schema';

/** Who sent the message, as far as it says: `email` is '' when it gives no usable address (an Intercom lead). */
@Schema({ _id: false })
export class Sender {
  @Prop({ required: true }) name!: string;
  @Prop({ default: '', lowercase: true }) email!: string;
}
const SenderSchema = SchemaFactory.createForClass(Sender);

/** The Intercom author exactly as the notification gave it (type user/lead/…, id, name, email). */
@Schema({ _id: false })
export class IntercomAuthorRef {
  @Prop() type?: string;
  @Prop() id?: string;
  @Prop() name?: string;
  @Prop() email?: string;
}
const IntercomAuthorSchema = SchemaFactory.createForClass(IntercomAuthorRef);

/** An inbound message nobody could attribute to an account yet. */
@Schema({ collection: 'review_items', timestamps: true, versionKey: false })
export class ReviewItem {
  /** uuid v7, so `_id` order is arrival order. */
  @Prop({ type: String, required: true }) _id!: string;
  /** `email:<Message-ID>` or `intercom:<notification id>`: the same message is queued once. */
  @Prop({ required: true, unique: true }) sourceKey!: string;
  @Prop({ type: String, required: true }) channel!: Channel;
  @Prop({ required: true }) reason!: string;
  @Prop({ type: SenderSchema, required: true }) from!: Sender;
  @Prop({ type: IntercomAuthorSchema }) intercomAuthor?: IntercomAuthorRef;
  @Prop({ required: true }) subject!: string;
  @Prop({ default: '' }) text!: string;
  @Prop({ type: [AttachmentSchema], default: [] }) attachments!: Attachment[];
  @Prop({ required: true }) receivedAt!: Date;
  @Prop({ type: String, required: true, index: true }) status!: ReviewStatus;
  @Prop() caseId?: string;
  @Prop({ type: [String], default: [] }) emailMessageIds!: string[];
  @Prop() intercomConversationId?: string;
  createdAt!: Date;
  updatedAt!: Date;
}
export const ReviewItemSchema = SchemaFactory.createForClass(ReviewItem);

export const toReviewItemView = (r: ReviewItem): ReviewItemView => ({
  id: r._id,
  channel: r.channel,
  reason: r.reason,
  from: { name: r.from.name, email: r.from.email ?? '' },
  ...(r.intercomAuthor ? { intercomAuthor: { ...r.intercomAuthor } } : {}),
  subject: r.subject,
  text: r.text,
  attachments: r.attachments.map((a) => ({
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
  })),
  receivedAt: r.receivedAt.toISOString(),
  status: r.status,
  ...(r.caseId ? { caseId: r.caseId } : {}),
});
