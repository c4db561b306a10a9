import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Read model: cases opened per UTC day and account, kept by `case.opened` events with `$inc`.
 * Each day/account is split over SHARDS documents by event id, so the list of applied event ids
 * that makes the counter idempotent stays small however busy the day is.
 */
@Schema({ collection: 'rm_case_counts_daily', versionKey: false, minimize: false })
export class CaseCountsDaily {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, index: true }) day!: string;
  @Prop({ required: true, index: true }) accountId!: string;
  @Prop({ default: 0 }) opened!: number;
  @Prop({ type: Object, default: {} }) bySeverity!: Record<string, number>;
  @Prop({ type: Object, default: {} }) byChannel!: Record<string, number>;
  @Prop({ type: [String], default: [] }) appliedEventIds!: string[];
}
export const CaseCountsDailySchema = SchemaFactory.createForClass(CaseCountsDaily);
export const SHARDS = 16;
