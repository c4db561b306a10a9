import { Channel, ReviewItemView, ReviewStatus } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Attachment, AttachmentSchema, Contact, ContactSchema } from '../../cases/case.schema';

/** An inbound message nobody could attribute to an account yet. */
@Schema({ collection: 'review_items', timestamps: true, versionKey: false })
export class ReviewItem {
  /** uuid v7, so `_id` order is arrival order. */
  @Prop({ type: String, required: true }) _id!: string;
  /** `email:<Message-ID>` or `intercom:<notification id>`: the same message is queued once. */
  @Prop({ required: true, unique: true }) sourceKey!: string;
  @Prop({ type: String, required: true }) channel!: Channel;
  @Prop({ required: true }) reason!: string;
  @Prop({ type: ContactSchema, required: true }) from!: Contact;
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
  from: { name: r.from.name, email: r.from.email },
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
