import { EventEnvelope, IncidentImpact, IncidentPayload, IncidentView, Severity } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export interface IncidentActor {
  kind: 'person' | 'probe' | 'system';
  id?: string;
}

export interface IncidentCorrection {
  at: Date;
  by?: IncidentActor;
  reason: string;
  changed: string[];
}

@Schema({ collection: 'incidents', versionKey: false, timestamps: true })
export class Incident implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true, unique: true }) number!: number;
  @Prop({ required: true }) title!: string;
  @Prop({ default: '' }) description!: string;
  @Prop({ type: String, required: true }) severity!: Severity;
  @Prop({ type: String, required: true, index: true }) state!: 'open' | 'restored';
  @Prop({ type: [String], default: [] }) caseIds!: string[];
  @Prop({ type: [String], default: [] }) accountIds!: string[];
  @Prop({ default: false }) platformWide!: boolean;
  @Prop({ required: true }) openedAt!: Date;
  @Prop({ type: Date }) restoredAt?: Date;
  // availability (#12); incidents from before have none of these (the view fills in from openedAt)
  @Prop({ type: [String], default: [], index: true }) components!: string[];
  @Prop({ type: String, default: 'outage' }) impact!: IncidentImpact;
  @Prop({ type: Number }) degradedWeightBasisPoints?: number;
  @Prop({ type: Date }) impactStart?: Date;
  @Prop({ type: Date }) identifiedAt?: Date;
  @Prop({ type: String }) cause?: string;
  @Prop({ type: Object }) openedBy?: IncidentActor;
  @Prop({ type: Object }) restoredBy?: IncidentActor;
  /** 1 when opened, +1 for each restoration or correction; every incident event carries it. */
  @Prop({ default: 1 }) revision!: number;
  @Prop({ type: [Object], default: [] }) corrections!: IncidentCorrection[];
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
}
export const IncidentSchema = SchemaFactory.createForClass(Incident);
IncidentSchema.plugin(outboxPlugin);

const actor = (a: IncidentActor | undefined) => (a ? { kind: a.kind, ...(a.id ? { id: a.id } : {}) } : undefined);

export const toIncidentView = (i: Incident): IncidentView => ({
  id: i._id,
  number: i.number,
  title: i.title,
  description: i.description,
  severity: i.severity,
  state: i.state,
  caseIds: i.caseIds,
  accountIds: i.accountIds,
  platformWide: i.platformWide,
  openedAt: i.openedAt.toISOString(),
  ...(i.restoredAt ? { restoredAt: i.restoredAt.toISOString() } : {}),
  components: i.components ?? [],
  impact: i.impact ?? 'outage',
  ...(i.degradedWeightBasisPoints !== undefined && i.degradedWeightBasisPoints !== null ? { degradedWeightBasisPoints: i.degradedWeightBasisPoints } : {}),
  impactStart: (i.impactStart ?? i.openedAt).toISOString(),
  identifiedAt: (i.identifiedAt ?? i.openedAt).toISOString(),
  ...(i.cause ? { cause: i.cause } : {}),
  openedBy: actor(i.openedBy) ?? { kind: 'person' },
  ...(i.restoredBy ? { restoredBy: actor(i.restoredBy) } : {}),
  revision: i.revision ?? 1,
  corrections: (i.corrections ?? []).map((c) => ({ at: new Date(c.at).toISOString(), ...(c.by ? { by: actor(c.by) } : {}), reason: c.reason, changed: c.changed })),
});

/** What every incident event carries: the incident as it stands after the change. */
export function incidentPayload(i: Incident, at: Date, extra: Pick<IncidentPayload, 'changed' | 'reason'> = {}): IncidentPayload {
  const v = toIncidentView(i);
  return {
    incidentId: v.id,
    title: v.title,
    severity: v.severity,
    caseIds: v.caseIds,
    accountIds: v.accountIds,
    platformWide: v.platformWide,
    at: at.toISOString(),
    revision: v.revision,
    state: v.state,
    components: v.components,
    impact: v.impact,
    ...(v.degradedWeightBasisPoints !== undefined ? { degradedWeightBasisPoints: v.degradedWeightBasisPoints } : {}),
    impactStart: v.impactStart,
    identifiedAt: v.identifiedAt,
    ...(v.restoredAt ? { restoredAt: v.restoredAt } : {}),
    ...(v.cause ? { cause: v.cause } : {}),
    openedBy: v.openedBy,
    ...(v.restoredBy ? { restoredBy: v.restoredBy } : {}),
    ...extra,
  };
}
