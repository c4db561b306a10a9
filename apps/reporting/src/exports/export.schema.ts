import { EventEnvelope, ExportState, ReportFormat, ReportKind } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** An export: what to write, how far it got, and where its file is (chunks `<id>:<n>`). */
@Schema({ collection: 'report_exports', versionKey: false })
export class ReportExport implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true }) report!: ReportKind;
  @Prop({ type: String, required: true }) format!: ReportFormat;
  @Prop({ required: true }) from!: string;
  @Prop({ required: true }) to!: string;
  @Prop() month?: string;
  @Prop() accountId?: string;
  /** `export` (asked for) or `digest` (the monthly executive digest). */
  @Prop({ type: String, default: 'export' }) purpose!: 'export' | 'digest';
  @Prop({ type: String, required: true, index: true }) state!: ExportState;
  @Prop({ default: 0 }) rows!: number;
  @Prop({ default: 0 }) totalRows!: number;
  @Prop({ required: true }) contentType!: string;
  @Prop({ required: true }) filename!: string;
  @Prop() bytes?: number;
  @Prop() chunks?: number;
  /** The most chunks any attempt wrote: a retry deletes the ones beyond its own count. */
  @Prop({ default: 0 }) chunksWritten!: number;
  @Prop() sha256?: string;
  @Prop() error?: string;
  @Prop() owner?: string;
  @Prop() leaseUntil?: Date;
  @Prop({ default: 0 }) attempts!: number;
  @Prop({ required: true }) createdAt!: Date;
  @Prop() startedAt?: Date;
  @Prop() finishedAt?: Date;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
}
export const ReportExportSchema = SchemaFactory.createForClass(ReportExport);
ReportExportSchema.plugin(outboxPlugin);

/** One piece of an export's file, at most CHUNK_BYTES, so that one fits a NATS reply once base64-encoded. */
@Schema({ collection: 'report_export_chunks', versionKey: false })
export class ReportExportChunk {
  /** `<exportId>:<n>` */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) exportId!: string;
  @Prop({ required: true }) n!: number;
  @Prop({ type: Buffer, required: true }) data!: Buffer;
}
export const ReportExportChunkSchema = SchemaFactory.createForClass(ReportExportChunk);

/** 512 KiB: 683 KiB in base64, inside NATS's 1 MiB message with room for the envelope. */
export const CHUNK_BYTES = 512 * 1024;
