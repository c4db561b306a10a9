import { AdvisoryKind, AdvisorySeverity, AdvisoryStage, AdvisoryView, EventEnvelope, EvidenceView } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';

@Schema({ _id: false })
export class Affected {
  @Prop({ required: true }) component!: string;
  @Prop({ required: true }) versions!: string;
  @Prop() fixedIn?: string;
}

/** An advisory and its pipeline: draft → applied on the test version → validated → released, with evidence at each stage. */
@Schema({ collection: 'maintenance_advisories', versionKey: false, minimize: false })
export class Advisory implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: String, required: true, index: true }) kind!: AdvisoryKind;
  @Prop({ type: String, required: true }) severity!: AdvisorySeverity;
  @Prop({ required: true }) title!: string;
  @Prop({ default: '' }) summary!: string;
  @Prop({ type: [Affected], required: true }) affects!: Affected[];
  @Prop() workaround?: string;
  @Prop({ type: [String], default: [] }) cves!: string[];
  @Prop({ type: [String], default: [] }) links!: string[];
  @Prop({ type: String, required: true, index: true }) stage!: AdvisoryStage;
  @Prop() announcedAt?: Date;
  @Prop() releasedAt?: Date;
  @Prop() releasedVersion?: string;
  @Prop({ type: [MongooseSchema.Types.Mixed], default: [] }) evidence!: EvidenceView[];
  /** +1 with every change: writes are conditional on it. */
  @Prop({ required: true }) version!: number;
  @Prop() requestHash?: string;
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ required: true }) updatedAt!: Date;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
}
export const AdvisorySchema = SchemaFactory.createForClass(Advisory);
AdvisorySchema.plugin(outboxPlugin);
AdvisorySchema.index({ 'affects.component': 1 });

export const toAdvisoryView = (a: Advisory): AdvisoryView => ({
  id: a._id,
  kind: a.kind,
  severity: a.severity,
  title: a.title,
  summary: a.summary,
  affects: a.affects.map((x) => ({ component: x.component, versions: x.versions, ...(x.fixedIn ? { fixedIn: x.fixedIn } : {}) })),
  ...(a.workaround ? { workaround: a.workaround } : {}),
  cves: a.cves,
  links: a.links,
  stage: a.stage,
  ...(a.announcedAt ? { announcedAt: a.announcedAt.toISOString() } : {}),
  ...(a.releasedAt ? { releasedAt: a.releasedAt.toISOString() } : {}),
  ...(a.releasedVersion ? { releasedVersion: a.releasedVersion } : {}),
  evidence: a.evidence,
  version: a.version,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});
