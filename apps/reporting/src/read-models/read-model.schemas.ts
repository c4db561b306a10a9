import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { RECORD_PACK_COLLECTIONS, RECORD_PACK_MODELS } from '../record-packs/record-packs.schema';

// The read models of the reports. Everything here is derived from events and can be dropped and
// rebuilt by replaying the stream (src/rebuild.ts). Every write and every per-event read is by `_id`;
// the secondary indexes serve the exports' range reads on MongoDB (FerretDB reads those in full).

/**
 * One case as the reports see it: the facts of its case, SLA and timeline events merged so that any
 * arrival order gives the same document (see case-state.ts). Written whole, guarded by `rev`.
 */
@Schema({ collection: 'rm_cases', versionKey: false, strict: false, minimize: false })
export class RmCase {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop() accountId?: string;
  @Prop() receivedAt?: string;
  @Prop() month?: string;
  @Prop({ required: true }) rev!: number;
}
export const RmCaseSchema = SchemaFactory.createForClass(RmCase);
RmCaseSchema.index({ month: 1, accountId: 1 });
RmCaseSchema.index({ receivedAt: 1 });
RmCaseSchema.index({ accountId: 1, receivedAt: 1 });

/** One sealed timeline entry, `_id` = `<caseId>:<seq>`: immutable, so a redelivery rewrites nothing. */
@Schema({ collection: 'rm_case_entries', versionKey: false, strict: false })
export class RmCaseEntry {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) caseId!: string;
  @Prop({ required: true }) seq!: number;
}
export const RmCaseEntrySchema = SchemaFactory.createForClass(RmCaseEntry);

/** One escalation (first notification, repeats, acknowledgement), `_id` = escalation id. */
@Schema({ collection: 'rm_escalations', versionKey: false, strict: false, minimize: false })
export class RmEscalation {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop() day?: string;
  @Prop({ required: true }) rev!: number;
}
export const RmEscalationSchema = SchemaFactory.createForClass(RmEscalation);
RmEscalationSchema.index({ day: 1 });

/** One notice sent (or not) to someone: escalation notifications, customer notices; `_id` = its id. */
@Schema({ collection: 'rm_notices', versionKey: false, strict: false, minimize: false })
export class RmNotice {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop() day?: string;
  @Prop() accountId?: string;
  @Prop({ required: true }) rev!: number;
}
export const RmNoticeSchema = SchemaFactory.createForClass(RmNotice);
RmNoticeSchema.index({ day: 1 });
RmNoticeSchema.index({ accountId: 1, day: 1 });

/**
 * Counters and histograms of one account over one day (`_id` = `YYYY-MM-DD:<account>`) or one month
 * (`YYYY-MM:<account>`), moved only by `$inc` deltas that the entity documents hand over exactly once
 * (see buckets.ts). A month's report reads one document per account.
 */
@Schema({ collection: 'rm_buckets', versionKey: false, strict: false, minimize: false })
export class RmBucket {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop() period?: string;
  @Prop() accountId?: string;
  @Prop({ type: [String], default: [] }) appliedEventIds!: string[];
}
export const RmBucketSchema = SchemaFactory.createForClass(RmBucket);

/** Which accounts have counters in a month (`_id` = `YYYY-MM`): a report over all accounts starts here. */
@Schema({ collection: 'rm_report_index', versionKey: false })
export class RmReportIndex {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: [String], default: [] }) accounts!: string[];
}
export const RmReportIndexSchema = SchemaFactory.createForClass(RmReportIndex);

/** The text of an SLA clause, `_id` = the short hash counters use as a field name. */
@Schema({ collection: 'rm_clauses', versionKey: false })
export class RmClause {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) text!: string;
}
export const RmClauseSchema = SchemaFactory.createForClass(RmClause);

/** Accounts and staff as their events describe them; the highest `version` wins. */
@Schema({ collection: 'rm_accounts', versionKey: false, strict: false })
export class RmAccount {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) version!: number;
}
export const RmAccountSchema = SchemaFactory.createForClass(RmAccount);

@Schema({ collection: 'rm_staff', versionKey: false, strict: false })
export class RmStaff {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) version!: number;
  @Prop({ type: [String], default: [] }) roles!: string[];
}
export const RmStaffSchema = SchemaFactory.createForClass(RmStaff);

export const READ_MODELS = [
  { name: RmCase.name, schema: RmCaseSchema },
  { name: RmCaseEntry.name, schema: RmCaseEntrySchema },
  { name: RmEscalation.name, schema: RmEscalationSchema },
  { name: RmNotice.name, schema: RmNoticeSchema },
  { name: RmBucket.name, schema: RmBucketSchema },
  { name: RmReportIndex.name, schema: RmReportIndexSchema },
  { name: RmClause.name, schema: RmClauseSchema },
  { name: RmAccount.name, schema: RmAccountSchema },
  { name: RmStaff.name, schema: RmStaffSchema },
  ...RECORD_PACK_MODELS,
];

/** Collections a rebuild empties (the case counts of case-counts/ included). */
export const READ_MODEL_COLLECTIONS = [
  'rm_cases',
  'rm_case_entries',
  'rm_escalations',
  'rm_notices',
  'rm_buckets',
  'rm_report_index',
  'rm_clauses',
  'rm_accounts',
  'rm_staff',
  'rm_case_counts_daily',
  'rm_erasures',
  ...RECORD_PACK_COLLECTIONS,
];
