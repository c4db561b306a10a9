import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One month's executive digest, `_id` = `YYYY-MM`: inserting it is the claim that makes it happen once. */
@Schema({ collection: 'report_digests', versionKey: false })
export class ReportDigest {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) state!: 'claimed' | 'generated' | 'mailed' | 'failed';
  /** The instance making it; another may take over once `leaseUntil` passed. */
  @Prop({ required: true }) instance!: string;
  @Prop({ required: true }) claimedAt!: Date;
  @Prop({ required: true }) leaseUntil!: Date;
  /** The stored PDF (an export with purpose `digest`). */
  @Prop() exportId?: string;
  @Prop() generatedAt?: Date;
  /** Staff ids mailed so far (a takeover mails only the others). */
  @Prop({ type: [String], default: [] }) mailed!: string[];
  @Prop() mailedAt?: Date;
}
export const ReportDigestSchema = SchemaFactory.createForClass(ReportDigest);
