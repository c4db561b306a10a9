import { Audience, NoticeKind, NoticeView } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';

/**
 * One notice (what customers are told about one change), `_id` derived from its cause, and the
 * progress of its fan-out to every account it concerns: `cursor` is the last account id done, so a
 * fan-out interrupted by a crash resumes where it stopped (deliveries are keyed, nothing is sent twice).
 */
@Schema({ collection: 'maintenance_notices', versionKey: false, minimize: false })
export class Notice {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) kind!: NoticeKind;
  /** Security notices ignore opt-outs. */
  @Prop({ required: true }) security!: boolean;
  @Prop({ index: true }) windowId?: string;
  @Prop({ index: true }) advisoryId?: string;
  @Prop({ type: [String], required: true }) components!: string[];
  @Prop({ type: String, required: true }) audience!: Audience;
  /** What the templates render (a snapshot taken when the notice was created). */
  @Prop({ type: MongooseSchema.Types.Mixed, required: true }) data!: Record<string, unknown>;
  @Prop({ type: String, required: true }) state!: 'pending' | 'fanning_out' | 'done';
  @Prop() cursor?: string;
  /**
   * The page being handed to outbound (its pack's batch key and last account), written before the
   * pack: a fan-out resumed after a crash skips that page if its pack was written (a pack knows its
   * batch key, not its recipients), and otherwise reads it again.
   */
  @Prop({ type: MongooseSchema.Types.Mixed }) inflight?: { batchKey: string; last: string };
  @Prop({ default: 0 }) accounts!: number;
  @Prop({ default: 0 }) deliveries!: number;
  @Prop({ required: true }) dueAt!: Date;
  @Prop({ required: true }) leaseUntil!: Date;
  @Prop() leaseOwner?: string;
  @Prop({ required: true }) createdAt!: Date;
  @Prop() completedAt?: Date;
}
export const NoticeSchema = SchemaFactory.createForClass(Notice);

export const toNoticeView = (n: Notice): NoticeView => ({
  id: n._id,
  kind: n.kind,
  security: n.security,
  ...(n.windowId ? { windowId: n.windowId } : {}),
  ...(n.advisoryId ? { advisoryId: n.advisoryId } : {}),
  components: n.components,
  state: n.state,
  accounts: n.accounts,
  deliveries: n.deliveries,
  createdAt: n.createdAt.toISOString(),
  ...(n.completedAt ? { completedAt: n.completedAt.toISOString() } : {}),
});
