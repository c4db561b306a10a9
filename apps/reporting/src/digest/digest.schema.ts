import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One month's executive digest, `_id` = `YYYY-MM`: inserting it is the claim that makes it happen once.
 * `claimed` → `generated` (the PDF stored) → `mailed`, or `failed` when a mail failed for good.
 */
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
  /** The executives (staff ids) whose mail was handed to outbound (`DigestMail.handOver`). */
  @Prop({ type: [String], default: undefined }) executives?: string[];
  /** Every executive's mail is with outbound: what is left is to record what became of them (`DigestMail.reconcile`). */
  @Prop() handedOver?: boolean;
  /** Staff ids mailed so far, and those whose mail failed for good (derived from their deliveries). */
  @Prop({ type: [String], default: [] }) mailed!: string[];
  @Prop({ type: [String], default: undefined }) failed?: string[];
  /** When the last mail settled (`mailed`, or `failed` if any failed for good). */
  @Prop() mailedAt?: Date;
}
export const ReportDigestSchema = SchemaFactory.createForClass(ReportDigest);
