// Contracts of the escalation context: tiers, escalation policies, escalations and their
// acknowledgement, incidents (platform-wide issues) and notifications. Owned by the escalation service.
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { KIND_NAME_PATTERN } from './availability';
import { CallerScope, ID_PATTERN, Page, ScopeField, SEVERITIES, Severity } from './cases';

export const ESCALATION_LEVELS = ['tier1', 'tier2', 'executive'] as const;
export type EscalationLevel = (typeof ESCALATION_LEVELS)[number];

/** Why an escalation exists; one per rule of the contract's escalation process. */
export const ESCALATION_REASONS = [
  'new_case',
  'technical',
  'sla_breach',
  'persistent_reopened',
  'persistent_repeat_category',
  'persistent_unresolved',
  'platform_wide',
  'manual',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

export const ESCALATION_STATES = ['open', 'acknowledged', 'superseded', 'exhausted', 'closed'] as const;
export type EscalationState = (typeof ESCALATION_STATES)[number];

/** ISO-8601 duration of hours/minutes/seconds, e.g. `PT30M`, `PT4H`, `PT40H`. */
const DURATION = /^PT(?=\d)(\d+H)?(\d+M)?(\d+S)?$/;

// ---- policies -------------------------------------------------------------------------------

export class AckTimeoutsDto {
  @Matches(DURATION) tier1!: string;
  @Matches(DURATION) tier2!: string;
  @Matches(DURATION) executive!: string;
}

/**
 * The escalation rules of one account (or the default, without accountId). Every field has the
 * contract's default, so a policy names only what it changes.
 */
export class EscalationPolicyRequest {
  /** The account this policy overrides; absent for the default policy. */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  /** A technical case goes to Tier 2 (at opening, or when reclassified as technical). */
  @IsOptional() @IsBoolean() technicalToTier2?: boolean;
  /** An SLA warning notifies the case's assignee. */
  @IsOptional() @IsBoolean() warningNotifiesAssignee?: boolean;
  /** An SLA breach escalates the case one level up. */
  @IsOptional() @IsBoolean() breachEscalates?: boolean;
  /** Persistent: a case reopened this many times goes to executives. */
  @IsOptional() @IsInt() @Min(1) @Max(100) reopenedAtLeast?: number;
  /** Persistent: this many cases of one account and category within `repeatWindowDays` go to executives. */
  @IsOptional() @IsInt() @Min(2) @Max(1000) repeatCategoryCases?: number;
  @IsOptional() @IsInt() @Min(1) @Max(365) repeatWindowDays?: number;
  /** Persistent: a case still unresolved after this much business time goes to executives. */
  @IsOptional() @Matches(DURATION) unresolvedAfter?: string;
  /** Which hours `unresolvedAfter` counts: the contract's support hours, or all hours. */
  @IsOptional() @IsIn(['support_hours', 'always']) unresolvedHours?: 'support_hours' | 'always';
  /** Platform-wide: an incident linked to cases of this many accounts goes to executives. */
  @IsOptional() @IsInt() @Min(2) @Max(1000) platformWideAccounts?: number;
  /** Platform-wide: any critical incident goes to executives. */
  @IsOptional() @IsBoolean() criticalIncidentToExecutive?: boolean;
  /** How long each level has to acknowledge before the escalation repeats, then moves up. */
  @IsOptional() @ValidateNested() @Type(() => AckTimeoutsDto) ackTimeouts?: AckTimeoutsDto;
  /** Notifications repeated to the same level before moving up. */
  @IsOptional() @IsInt() @Min(0) @Max(10) maxRepeats?: number;
  @IsOptional() @IsIn(['round_robin', 'least_loaded']) tier2Assignment?: 'round_robin' | 'least_loaded';
}

export type EscalationPolicyView = Required<Omit<EscalationPolicyRequest, 'accountId'>> & {
  id: string;
  accountId?: string;
  version: number;
  updatedAt: string;
};

export class GetEscalationPolicyQuery {
  /** The account whose effective policy is wanted; absent for the default. */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
}

// ---- escalations ----------------------------------------------------------------------------

export class ListEscalationsQuery {
  @IsOptional() @Matches(ID_PATTERN) caseId?: string;
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  @IsOptional() @IsIn(ESCALATION_LEVELS) level?: EscalationLevel;
  @IsOptional() @IsIn(ESCALATION_STATES) state?: EscalationState;
  @IsOptional() @IsIn(ESCALATION_REASONS) reason?: EscalationReason;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export class GetEscalationQuery {
  @Matches(ID_PATTERN) id!: string;
  /** Set by the gateway for an account-scoped caller: another account's escalation is not found. */
  @ScopeField() scope?: CallerScope;
}

export class AckEscalationRequest {
  /** The staff member acknowledging (must be one of the escalation's recipients, or a manager/admin). */
  @Matches(ID_PATTERN) by!: string;
  @IsOptional() @IsString() @MaxLength(2000) note?: string;
}

export class AckEscalationCommand extends AckEscalationRequest {
  @Matches(ID_PATTERN) id!: string;
  /** Set by the gateway for an account-scoped caller: another account's escalation is not found. */
  @ScopeField() scope?: CallerScope;
}

export class CreateEscalationRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsString() @IsNotEmpty() @MaxLength(2000) reason!: string;
  /** Target level; default: one above the case's current level. */
  @IsOptional() @IsIn(ESCALATION_LEVELS) level?: EscalationLevel;
  @IsOptional() @Matches(ID_PATTERN) by?: string;
}

export interface EscalationView {
  id: string;
  caseId?: string;
  incidentId?: string;
  accountId?: string;
  level: EscalationLevel;
  reason: EscalationReason;
  detail: string;
  state: EscalationState;
  assigneeId?: string;
  recipients: string[];
  repeats: number;
  ackDueAt?: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  createdAt: string;
  updatedAt: string;
}

// ---- incidents ------------------------------------------------------------------------------

/** How an incident hurts its components: an outage counts every minute, degraded a weighted share. */
export const INCIDENT_IMPACTS = ['outage', 'degraded'] as const;
export type IncidentImpact = (typeof INCIDENT_IMPACTS)[number];

/** Who opened, restored or corrected an incident: a staff member, a probe (`<componentId>:<probeId>`), or the system. */
export class IncidentActorDto {
  @IsIn(['person', 'probe', 'system']) kind!: 'person' | 'probe' | 'system';
  @IsOptional() @Matches(ID_PATTERN) id?: string;
}

export class CreateIncidentRequest {
  @IsString() @IsNotEmpty() @MaxLength(500) title!: string;
  @IsIn(SEVERITIES) severity!: Severity;
  @IsOptional() @IsArray() @ArrayMaxSize(10_000) @ArrayUnique() @Matches(ID_PATTERN, { each: true }) caseIds?: string[];
  @IsOptional() @IsString() @MaxLength(10_000) description?: string;
  /** The components it affects (availability counts it against their objectives). */
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ArrayUnique() @Matches(ID_PATTERN, { each: true }) components?: string[];
  /** Default `outage`. */
  @IsOptional() @IsIn(INCIDENT_IMPACTS) impact?: IncidentImpact;
  /** For a degraded incident: how much a minute counts (basis points; default: each objective's own weight). */
  @IsOptional() @IsInt() @Min(0) @Max(10_000) degradedWeightBasisPoints?: number;
  /** When the impact began (default: now). */
  @IsOptional() @IsISO8601({ strict: true }) impactStart?: string;
  /** When the problem was identified (default: now); restoration objectives count from here. */
  @IsOptional() @IsISO8601({ strict: true }) identifiedAt?: string;
  /** e.g. `power`, `hvac` (a server outage caused by power counts against the datacenter objective). */
  @IsOptional() @Matches(KIND_NAME_PATTERN) cause?: string;
  @IsOptional() @ValidateNested() @Type(() => IncidentActorDto) openedBy?: IncidentActorDto;
  /** Records a past incident in one call: it is created restored at this instant. */
  @IsOptional() @IsISO8601({ strict: true }) restoredAt?: string;
  /** The same key again returns the incident it first opened (probes retrying after a crash). */
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/) idempotencyKey?: string;
}

export class LinkIncidentCasesRequest {
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(10_000) @ArrayUnique() @Matches(ID_PATTERN, { each: true }) caseIds!: string[];
}

export class LinkIncidentCasesCommand extends LinkIncidentCasesRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class RestoreIncidentRequest {
  @IsOptional() @IsISO8601() restoredAt?: string;
  @IsOptional() @IsString() @MaxLength(10_000) summary?: string;
  @IsOptional() @ValidateNested() @Type(() => IncidentActorDto) restoredBy?: IncidentActorDto;
}

export class RestoreIncidentCommand extends RestoreIncidentRequest {
  @Matches(ID_PATTERN) id!: string;
}

/**
 * `PATCH /v1/incidents/{id}`: a correction of what is known about an incident (fields absent keep their
 * value; `cause: null` clears it). Availability recomputes every month the old and the new times touch.
 */
export class CorrectIncidentRequest {
  /** Why it is corrected (kept with the correction). */
  @IsString() @IsNotEmpty() @MaxLength(2000) reason!: string;
  @IsOptional() @ValidateNested() @Type(() => IncidentActorDto) by?: IncidentActorDto;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(500) title?: string;
  @IsOptional() @IsString() @MaxLength(10_000) description?: string;
  @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ArrayUnique() @Matches(ID_PATTERN, { each: true }) components?: string[];
  @IsOptional() @IsIn(INCIDENT_IMPACTS) impact?: IncidentImpact;
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsInt() @Min(0) @Max(10_000) degradedWeightBasisPoints?: number | null;
  @IsOptional() @IsISO8601({ strict: true }) impactStart?: string;
  @IsOptional() @IsISO8601({ strict: true }) identifiedAt?: string;
  /** Only for a restored incident. */
  @IsOptional() @IsISO8601({ strict: true }) restoredAt?: string;
  @IsOptional() @ValidateIf((_o, v) => v !== null) @Matches(KIND_NAME_PATTERN) cause?: string | null;
  /** Optimistic concurrency: refuse (409 RESOURCE.CONCURRENT_UPDATE) unless the incident is still at this revision. */
  @IsOptional() @IsInt() @Min(1) expectedRevision?: number;
}

export class CorrectIncidentCommand extends CorrectIncidentRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class GetIncidentQuery {
  @Matches(ID_PATTERN) id!: string;
}

export class ListIncidentsQuery {
  @IsOptional() @IsIn(['open', 'restored']) state?: 'open' | 'restored';
  @IsOptional() @Matches(ID_PATTERN) componentId?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export interface IncidentView {
  id: string;
  number: number;
  title: string;
  description: string;
  severity: Severity;
  state: 'open' | 'restored';
  caseIds: string[];
  accountIds: string[];
  platformWide: boolean;
  openedAt: string;
  restoredAt?: string;
  components: string[];
  impact: IncidentImpact;
  degradedWeightBasisPoints?: number;
  impactStart: string;
  identifiedAt: string;
  cause?: string;
  openedBy: { kind: 'person' | 'probe' | 'system'; id?: string };
  restoredBy?: { kind: 'person' | 'probe' | 'system'; id?: string };
  /** 1 when opened, +1 for every restoration or correction (events carry it: the newest wins). */
  revision: number;
  corrections: { at: string; by?: { kind: 'person' | 'probe' | 'system'; id?: string }; reason: string; changed: string[] }[];
}

// ---- notifications --------------------------------------------------------------------------

/** `cancelled`: never sent, because what it asked for was no longer wanted (its escalation acknowledged, closed or moved on). */
export const NOTIFICATION_STATES = ['pending', 'sent', 'failed', 'cancelled'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

export class ListNotificationsQuery {
  @IsOptional() @Matches(ID_PATTERN) caseId?: string;
  @IsOptional() @Matches(ID_PATTERN) escalationId?: string;
  @IsOptional() @IsIn(NOTIFICATION_STATES) state?: NotificationState;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export interface NotificationView {
  id: string;
  caseId?: string;
  escalationId?: string;
  incidentId?: string;
  recipient: { staffId?: string; name: string; email: string };
  channels: ('email' | 'intercom')[];
  subject: string;
  text: string;
  critical: boolean;
  state: NotificationState;
  /** Held until the recipient's working hours (non-critical) — or now. */
  sendAfter: string;
  attempts: number;
  sentAt?: string;
  lastError?: string;
  createdAt: string;
}

// ---- event payloads -------------------------------------------------------------------------

export class EscalatedPayload {
  @Matches(ID_PATTERN) escalationId!: string;
  @IsOptional() @Matches(ID_PATTERN) caseId?: string;
  @IsOptional() @Matches(ID_PATTERN) incidentId?: string;
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  @IsIn(ESCALATION_LEVELS) level!: EscalationLevel;
  @IsIn(ESCALATION_REASONS) reason!: EscalationReason;
  @IsString() detail!: string;
  /** Who now owns the case, when the escalation assigns it (Tier 1: the CSM; Tier 2: a team member). */
  @IsOptional() @Matches(ID_PATTERN) assigneeId?: string;
  @IsArray() @Matches(ID_PATTERN, { each: true }) recipients!: string[];
  /** 0 for the first notification of this escalation, then 1, 2 … for each unacknowledged repeat. */
  @IsInt() @Min(0) repeat!: number;
  @IsISO8601() at!: string;
}

export class EscalationAcknowledgedPayload {
  @Matches(ID_PATTERN) escalationId!: string;
  @IsOptional() @Matches(ID_PATTERN) caseId?: string;
  @IsIn(ESCALATION_LEVELS) level!: EscalationLevel;
  @Matches(ID_PATTERN) by!: string;
  @IsISO8601() at!: string;
}

export class NotificationOutcomePayload {
  @Matches(ID_PATTERN) notificationId!: string;
  @IsOptional() @Matches(ID_PATTERN) caseId?: string;
  /** The account of the case (or escalation) the notification is about, so reports can filter by account. */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  @IsOptional() @Matches(ID_PATTERN) escalationId?: string;
  @IsOptional() @Matches(ID_PATTERN) staffId?: string;
  @IsString() email!: string;
  @IsArray() @IsIn(['email', 'intercom'], { each: true }) channels!: ('email' | 'intercom')[];
  @IsString() subject!: string;
  @IsInt() @Min(1) attempts!: number;
  @IsOptional() @IsString() error?: string;
  /** For a failure: true when no further attempt will be made. */
  @IsOptional() @IsBoolean() final?: boolean;
  @IsISO8601() at!: string;
}

/**
 * An incident as it stands after the change (opened, updated by a correction, restored). The fields
 * after `at` came with availability (#12); events from before lack them. `revision` orders the events
 * of one incident: a consumer keeps the highest it saw.
 */
export class IncidentPayload {
  @Matches(ID_PATTERN) incidentId!: string;
  @IsString() title!: string;
  @IsIn(SEVERITIES) severity!: Severity;
  @IsArray() @Matches(ID_PATTERN, { each: true }) caseIds!: string[];
  @IsArray() @Matches(ID_PATTERN, { each: true }) accountIds!: string[];
  @IsBoolean() platformWide!: boolean;
  @IsISO8601() at!: string;
  @IsOptional() @IsInt() @Min(1) revision?: number;
  @IsOptional() @IsIn(['open', 'restored']) state?: 'open' | 'restored';
  @IsOptional() @IsArray() @Matches(ID_PATTERN, { each: true }) components?: string[];
  @IsOptional() @IsIn(INCIDENT_IMPACTS) impact?: IncidentImpact;
  @IsOptional() @IsInt() @Min(0) @Max(10_000) degradedWeightBasisPoints?: number;
  @IsOptional() @IsISO8601() impactStart?: string;
  @IsOptional() @IsISO8601() identifiedAt?: string;
  @IsOptional() @IsISO8601() restoredAt?: string;
  @IsOptional() @IsString() cause?: string;
  @IsOptional() @ValidateNested() @Type(() => IncidentActorDto) openedBy?: IncidentActorDto;
  @IsOptional() @ValidateNested() @Type(() => IncidentActorDto) restoredBy?: IncidentActorDto;
  /** incident.updated: the fields the correction changed, and why. */
  @IsOptional() @IsArray() @IsString({ each: true }) changed?: string[];
  @IsOptional() @IsString() reason?: string;
}

/** A case was linked to an incident: intake annotates the case's timeline. */
export class IncidentCaseLinkedPayload {
  @Matches(ID_PATTERN) incidentId!: string;
  @Matches(ID_PATTERN) caseId!: string;
  @IsString() title!: string;
  @IsBoolean() platformWide!: boolean;
  @IsISO8601() at!: string;
}

// ---- subjects and maps ----------------------------------------------------------------------

/** Events. DO NOT RENAME a published subject. */
export const EscalationEvents = {
  Escalated: 'sladesk.evt.escalation.escalated.v1',
  EscalationAcknowledged: 'sladesk.evt.escalation.acknowledged.v1',
  NotificationSent: 'sladesk.evt.notification.sent.v1',
  NotificationFailed: 'sladesk.evt.notification.failed.v1',
  IncidentOpened: 'sladesk.evt.incident.opened.v1',
  IncidentCaseLinked: 'sladesk.evt.incident.case-linked.v1',
  IncidentRestored: 'sladesk.evt.incident.restored.v1',
  /** A correction of an incident (times, components, impact, cause …): the whole incident as it now stands. */
  IncidentUpdated: 'sladesk.evt.incident.updated.v1',
} as const;

/** Requests the escalation service answers. DO NOT RENAME. */
export const EscalationRpc = {
  PolicyPut: 'sladesk.rpc.escalation.policy.put.v1',
  PolicyGet: 'sladesk.rpc.escalation.policy.get.v1',
  EscalationCreate: 'sladesk.rpc.escalation.escalation.create.v1',
  EscalationAck: 'sladesk.rpc.escalation.escalation.ack.v1',
  EscalationGet: 'sladesk.rpc.escalation.escalation.get.v1',
  EscalationList: 'sladesk.rpc.escalation.escalation.list.v1',
  IncidentCreate: 'sladesk.rpc.escalation.incident.create.v1',
  IncidentLinkCases: 'sladesk.rpc.escalation.incident.link-cases.v1',
  IncidentRestore: 'sladesk.rpc.escalation.incident.restore.v1',
  IncidentCorrect: 'sladesk.rpc.escalation.incident.correct.v1',
  IncidentGet: 'sladesk.rpc.escalation.incident.get.v1',
  IncidentList: 'sladesk.rpc.escalation.incident.list.v1',
  NotificationList: 'sladesk.rpc.escalation.notification.list.v1',
} as const;

export interface EscalationEventMap {
  [EscalationEvents.Escalated]: EscalatedPayload;
  [EscalationEvents.EscalationAcknowledged]: EscalationAcknowledgedPayload;
  [EscalationEvents.NotificationSent]: NotificationOutcomePayload;
  [EscalationEvents.NotificationFailed]: NotificationOutcomePayload;
  [EscalationEvents.IncidentOpened]: IncidentPayload;
  [EscalationEvents.IncidentCaseLinked]: IncidentCaseLinkedPayload;
  [EscalationEvents.IncidentRestored]: IncidentPayload;
  [EscalationEvents.IncidentUpdated]: IncidentPayload;
}

export const EscalationEventClasses = {
  [EscalationEvents.Escalated]: EscalatedPayload,
  [EscalationEvents.EscalationAcknowledged]: EscalationAcknowledgedPayload,
  [EscalationEvents.NotificationSent]: NotificationOutcomePayload,
  [EscalationEvents.NotificationFailed]: NotificationOutcomePayload,
  [EscalationEvents.IncidentOpened]: IncidentPayload,
  [EscalationEvents.IncidentCaseLinked]: IncidentCaseLinkedPayload,
  [EscalationEvents.IncidentRestored]: IncidentPayload,
  [EscalationEvents.IncidentUpdated]: IncidentPayload,
};

export interface EscalationRpcMap {
  [EscalationRpc.PolicyPut]: { request: EscalationPolicyRequest; response: EscalationPolicyView };
  [EscalationRpc.PolicyGet]: { request: GetEscalationPolicyQuery; response: EscalationPolicyView };
  [EscalationRpc.EscalationCreate]: { request: CreateEscalationRequest; response: EscalationView };
  [EscalationRpc.EscalationAck]: { request: AckEscalationCommand; response: EscalationView };
  [EscalationRpc.EscalationGet]: { request: GetEscalationQuery; response: EscalationView };
  [EscalationRpc.EscalationList]: { request: ListEscalationsQuery; response: Page<EscalationView> };
  [EscalationRpc.IncidentCreate]: { request: CreateIncidentRequest; response: IncidentView };
  [EscalationRpc.IncidentLinkCases]: { request: LinkIncidentCasesCommand; response: IncidentView };
  [EscalationRpc.IncidentRestore]: { request: RestoreIncidentCommand; response: IncidentView };
  [EscalationRpc.IncidentCorrect]: { request: CorrectIncidentCommand; response: IncidentView };
  [EscalationRpc.IncidentGet]: { request: GetIncidentQuery; response: IncidentView };
  [EscalationRpc.IncidentList]: { request: ListIncidentsQuery; response: Page<IncidentView> };
  [EscalationRpc.NotificationList]: { request: ListNotificationsQuery; response: Page<NotificationView> };
}

export const EscalationRpcClasses = {
  [EscalationRpc.PolicyPut]: EscalationPolicyRequest,
  [EscalationRpc.PolicyGet]: GetEscalationPolicyQuery,
  [EscalationRpc.EscalationCreate]: CreateEscalationRequest,
  [EscalationRpc.EscalationAck]: AckEscalationCommand,
  [EscalationRpc.EscalationGet]: GetEscalationQuery,
  [EscalationRpc.EscalationList]: ListEscalationsQuery,
  [EscalationRpc.IncidentCreate]: CreateIncidentRequest,
  [EscalationRpc.IncidentLinkCases]: LinkIncidentCasesCommand,
  [EscalationRpc.IncidentRestore]: RestoreIncidentCommand,
  [EscalationRpc.IncidentCorrect]: CorrectIncidentCommand,
  [EscalationRpc.IncidentGet]: GetIncidentQuery,
  [EscalationRpc.IncidentList]: ListIncidentsQuery,
  [EscalationRpc.NotificationList]: ListNotificationsQuery,
};
