import { CaseStatus, Category, Channel, EscalationLevel, Severity } from '@sladesk/contracts';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';
import { CaseFacts, emptyCase } from './case-facts';

/**
 * What the escalation rules know about a case, merged from case facts in any order (see case-facts.ts)
 * and written only by CaseProjection. Created by whichever fact comes first.
 */
@Schema({ collection: 'esc_cases', versionKey: false })
export class CaseState {
  @Prop({ type: String, required: true }) _id!: string;
  /** Bumped by every fact applied: writers compare-and-set on it. */
  @Prop({ default: 0 }) rev!: number;
  @Prop({ type: String, index: true }) accountId?: string;
  @Prop({ type: Number }) number?: number;
  @Prop({ type: String }) channel?: Channel;
  /** When the customer asked (from `case.opened`); absent until it arrives. */
  @Prop({ type: Date, index: true }) openedAt?: Date;
  @Prop({ type: String }) category?: Category;
  @Prop({ type: String }) severity?: Severity;
  @Prop({ type: String, default: 'new' }) status!: CaseStatus;
  @Prop({ type: String, default: 'tier1' }) level!: EscalationLevel;
  @Prop({ type: String, index: true }) assigneeId?: string | null;
  @Prop({ type: String }) requestedAssigneeId?: string;
  @Prop({ default: 0 }) reopenCount!: number;
  @Prop({ type: Date }) unresolvedSince?: Date;
  @Prop({ type: MongooseSchema.Types.Mixed }) slaPolicy?: { id: string; version: number };
  @Prop({ type: MongooseSchema.Types.Mixed, default: () => emptyCase().orders }) orders!: CaseFacts['orders'];
  /** When the "unresolved for too long" rule fires (business time from the policy); unset once resolved or fired. */
  @Prop({ type: Date, index: true }) unresolvedDueAt?: Date;
  /** What `unresolvedDueAt` was computed from (`<since>|<calendar>`), so a fired rule is not re-armed for the same. */
  @Prop({ type: String }) unresolvedArmedFor?: string;
  /** Every escalation about this case, recorded before it is created: a resolution closes them by `_id`. */
  @Prop({ type: [String], default: [] }) escalationIds!: string[];
  /** Every notification about this case, recorded before it is created. */
  @Prop({ type: [String], default: [] }) notificationIds!: string[];
  /** Every id set (Tier 2 load, repeated-category window) this case was ever put in: kept in sync by `_id`. */
  @Prop({ type: [String], default: [] }) memberOf!: string[];
  @Prop({ type: [String], default: [] }) appliedEventIds!: string[];
}
export const CaseStateSchema = SchemaFactory.createForClass(CaseState);
// Kept for MongoDB (and ad-hoc queries); the service's own paths read by _id only.
CaseStateSchema.index({ accountId: 1, category: 1, openedAt: 1 });

export function toFacts(doc: CaseState | null): CaseFacts {
  const base = emptyCase();
  if (!doc) return base;
  return {
    accountId: doc.accountId,
    ...(doc.openedAt
      ? { opened: { number: doc.number ?? 0, channel: doc.channel ?? 'api', receivedAt: new Date(doc.openedAt).getTime() } }
      : {}),
    category: doc.category,
    severity: doc.severity,
    status: doc.status ?? base.status,
    assigneeId: doc.assigneeId,
    requestedAssigneeId: doc.requestedAssigneeId,
    reopenCount: doc.reopenCount ?? 0,
    level: doc.level ?? base.level,
    unresolvedSince: doc.unresolvedSince ? new Date(doc.unresolvedSince).getTime() : undefined,
    slaPolicy: doc.slaPolicy,
    orders: { ...base.orders, ...(doc.orders ?? {}) },
  };
}

/** The stored fields of merged facts (`undefined` values are unset). */
export function fromFacts(f: CaseFacts): Record<string, unknown> {
  return {
    accountId: f.accountId,
    number: f.opened?.number,
    channel: f.opened?.channel,
    openedAt: f.opened ? new Date(f.opened.receivedAt) : undefined,
    category: f.category,
    severity: f.severity,
    status: f.status,
    level: f.level,
    assigneeId: f.assigneeId,
    requestedAssigneeId: f.requestedAssigneeId,
    reopenCount: f.reopenCount,
    unresolvedSince: f.unresolvedSince === undefined ? undefined : new Date(f.unresolvedSince),
    slaPolicy: f.slaPolicy,
    orders: f.orders,
  };
}
