import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsObject,
  IsIn,
  IsISO8601,
  IsInt,
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

export const CHANNELS = ['api', 'intercom', 'email', 'phone'] as const;
export type Channel = (typeof CHANNELS)[number];
export const SEVERITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const CATEGORIES = ['technical', 'billing', 'how-to', 'feature', 'security', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];
export const CASE_STATUSES = ['new', 'open', 'waiting_on_customer', 'resolved', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Ids are opaque strings: letters, digits and `_-.:` only, so they are safe in filters and subjects. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/**
 * The account a request is confined to (an account-scoped caller), carried by requests to services as
 * the additive optional field `scope`. Absent: the caller is staff and may act across accounts.
 */
export class CallerScope {
  @Matches(ID_PATTERN) accountId!: string;
}
/** The optional `scope` field of a request to a service. */
export const ScopeField = (): PropertyDecorator => (target, key) => {
  for (const d of [IsOptional(), IsObject(), ValidateNested(), Type(() => CallerScope)]) d(target, key);
};

export class ContactDto {
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @IsEmail() @MaxLength(320) email!: string;
}

export class CreateCaseRequest {
  @Matches(ID_PATTERN, { message: 'accountId must be an id (letters, digits, _ - . :)' }) accountId!: string;
  @IsDefined() @IsObject() @ValidateNested() @Type(() => ContactDto) contact!: ContactDto;
  @IsIn(CHANNELS) channel!: Channel;
  @IsString() @IsNotEmpty() @MaxLength(500) subject!: string;
  @IsString() @MaxLength(100_000) description!: string;
  @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
  @IsOptional() @IsIn(CATEGORIES) category?: Category;
  /** When the customer asked; defaults to when we received the request. */
  @IsOptional() @IsISO8601({ strict: true }) receivedAt?: string;
}

/** The command intake receives: the HTTP body plus what the gateway knows about the request. */
export class CreateCaseCommand extends CreateCaseRequest {
  /** Client-supplied `Idempotency-Key`: a retry with the same key returns the first result. */
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  /** Set by the gateway for an account-scoped caller: another account's case is not found. */
  @ScopeField() scope?: CallerScope;
}

export class GetCaseQuery {
  @Matches(ID_PATTERN) id!: string;
  /** Set by the gateway for an account-scoped caller: another account's case is not found. */
  @ScopeField() scope?: CallerScope;
}

/** `true`/`false` from a query string, a boolean from JSON. */
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class ListCasesQuery {
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  @IsOptional() @IsIn(CASE_STATUSES) status?: CaseStatus;
  @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
  /** Received at or after this instant. */
  @IsOptional() @IsISO8601({ strict: true }) from?: string;
  /** Received before this instant. */
  @IsOptional() @IsISO8601({ strict: true }) to?: string;
  /** Only cases whose SLA was (or was not) breached. */
  @IsOptional() @Transform(toBoolean) @IsBoolean() breached?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

/** Who did something: a staff member, the customer's contact, or the system (rules, timers). */
export class ActorDto {
  @IsIn(['staff', 'contact', 'system']) kind!: 'staff' | 'contact' | 'system';
  @IsOptional() @Matches(ID_PATTERN) id?: string;
  @IsString() @MaxLength(200) name!: string;
}
export type Actor = ActorDto;

/** Why a case got its severity and category: given explicitly, matched by a rule, or defaulted. */
export interface ClassificationReason {
  source: 'explicit' | 'rule' | 'default';
  /** The rule's name and the words that matched, when `source` is `rule`. */
  rule?: string;
  matched?: string;
}

export interface AttachmentView {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

export const TIMELINE_KINDS = [
  'opened',
  'response',
  'customer_reply',
  'note',
  'step',
  'analysis',
  'escalation',
  'status_changed',
  'reclassified',
  'assigned',
  'resolved',
  'reopened',
  'acknowledged',
  'sla_breached',
  'notification',
  'incident',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** One step of the record. Entries are append-only and hash-chained. */
export interface TimelineEntryView {
  seq: number;
  kind: TimelineKind;
  /** When it happened. */
  at: string;
  /** When intake recorded it. */
  recordedAt: string;
  actor: Actor;
  text: string;
  /** Kind-specific facts, e.g. `{ from, to }` of a status change. */
  data?: Record<string, unknown>;
  attachments?: AttachmentView[];
  /**
   * Hash version 2 (entries sealed with personal data kept apart): the salted commitments the hash
   * covers instead of the personal values (`c`: path such as `text`, `actor/name`, `data/contactEmail` → sha256 of salt, path and value), the salt while
   * the data exists, `erased` once it was erased. Absent: version 1, the values themselves are hashed.
   */
  pd?: { salt?: string; c: Record<string, string>; erased?: boolean };
  /** sha256 of the previous entry (64 zeros for the first). */
  prevHash: string;
  /** sha256 over `prevHash` and the canonical JSON of this entry. */
  hash: string;
}

export interface TimelineVerification {
  intact: boolean;
  entries: number;
  /** Hash of the last entry: keep it elsewhere to detect truncation too. */
  headHash: string;
  /** The first entry that does not fit the chain, and why. */
  brokenAt?: { seq: number; reason: string };
}

export interface CaseView {
  id: string;
  number: number;
  accountId: string;
  contact: { name: string; email: string };
  channel: Channel;
  subject: string;
  description: string;
  analysis: string;
  severity: Severity;
  category: Category;
  classification: { severity: ClassificationReason; category: ClassificationReason };
  status: CaseStatus;
  assigneeId?: string;
  /** When the customer asked. */
  receivedAt: string;
  firstResponse?: { at: string; by: Actor };
  resolution?: { at: string; by: Actor; summary: string };
  reopenCount: number;
  /** Set when the SLA service reports a breached goal. */
  slaBreached: boolean;
  /** The earlier (closed) case a customer wrote back to. */
  followUpOf?: string;
  intercomConversationId?: string;
  attachments: AttachmentView[];
  createdAt: string;
  updatedAt: string;
}

/**
 * `GET /v1/cases/{id}`: the system-of-record entry with its latest timeline entries (as many as fit
 * one answer); `timelineCursor` reads the whole timeline from the first entry on, page by page.
 */
export interface CaseRecord extends CaseView {
  timeline: TimelineEntryView[];
  /** How many entries the timeline has in all. */
  timelineTotal: number;
  /** Present when `timeline` is not the whole timeline: pass to `GET /v1/cases/{id}/timeline?cursor=`. */
  timelineCursor?: string;
}

/** A case in a list: everything but the long texts (description, analysis). */
export type CaseSummary = Omit<CaseView, 'description' | 'analysis'>;

/** What a change to a case answers: the case after it, and the timeline entry that records it. */
export interface CaseChange {
  case: CaseView;
  entry: TimelineEntryView;
}

export interface CaseTimeline {
  caseId: string;
  entries: TimelineEntryView[];
  /** Pass as `cursor` for the entries after these; absent after the last entry. */
  nextCursor?: string;
  verification?: TimelineVerification;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
}

// ---- changes to a case ----------------------------------------------------------------------
// Each HTTP body has a command twin that adds the case id and the client's Idempotency-Key.

const TEXT_MAX = 50_000;

/** A response by us to the customer (sent to them on the case's channel when it is Intercom or email). */
export class RespondToCaseRequest {
  /** The staff member who responds. */
  @Matches(ID_PATTERN) by!: string;
  @IsString() @IsNotEmpty() @MaxLength(TEXT_MAX) text!: string;
  /** When it was sent, if not now (e.g. a phone call logged afterwards). */
  @IsOptional() @IsISO8601({ strict: true }) at?: string;
}

/** A message from the customer, recorded by a staff member or an integration. */
export class RecordCustomerReplyRequest {
  @IsString() @IsNotEmpty() @MaxLength(TEXT_MAX) text!: string;
  @IsOptional() @IsISO8601({ strict: true }) at?: string;
}

export const ACTION_KINDS = ['note', 'step', 'analysis', 'escalation'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Internal work on a case: a note, a step taken, the analysis of the issue (replaces the case's analysis), an escalation. */
export class AddCaseActionRequest {
  @Matches(ID_PATTERN) by!: string;
  @IsIn(ACTION_KINDS) kind!: ActionKind;
  @IsString() @IsNotEmpty() @MaxLength(TEXT_MAX) text!: string;
  @IsOptional() @IsISO8601({ strict: true }) at?: string;
}

/** Statuses set through `/status`; resolving and reopening have their own endpoints. */
export const SETTABLE_STATUSES = ['open', 'waiting_on_customer', 'closed'] as const;

export class ChangeCaseStatusRequest {
  @Matches(ID_PATTERN) by!: string;
  @IsIn(SETTABLE_STATUSES) to!: (typeof SETTABLE_STATUSES)[number];
  @IsOptional() @IsString() @MaxLength(2000) reason?: string;
}

export class ResolveCaseRequest {
  @Matches(ID_PATTERN) by!: string;
  @IsString() @IsNotEmpty() @MaxLength(TEXT_MAX) summary!: string;
  @IsOptional() @IsISO8601({ strict: true }) at?: string;
}

export class ReopenCaseRequest {
  @Matches(ID_PATTERN) by!: string;
  @IsString() @IsNotEmpty() @MaxLength(2000) reason!: string;
}

export class ReclassifyCaseRequest {
  @Matches(ID_PATTERN) by!: string;
  @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
  @IsOptional() @IsIn(CATEGORIES) category?: Category;
  @IsString() @IsNotEmpty() @MaxLength(1000) reason!: string;
}

export class AssignCaseRequest {
  @Matches(ID_PATTERN) by!: string;
  /** A staff member, or `null` to unassign. */
  @ValidateIf((_o, v) => v !== null) @Matches(ID_PATTERN) assigneeId!: string | null;
}

export class RespondToCaseCommand extends RespondToCaseRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ScopeField() scope?: CallerScope;
}
export class RecordCustomerReplyCommand extends RecordCustomerReplyRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ScopeField() scope?: CallerScope;
}
export class AddCaseActionCommand extends AddCaseActionRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ScopeField() scope?: CallerScope;
}
export class ChangeCaseStatusCommand extends ChangeCaseStatusRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ScopeField() scope?: CallerScope;
}
export class ResolveCaseCommand extends ResolveCaseRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ScopeField() scope?: CallerScope;
}
export class ReopenCaseCommand extends ReopenCaseRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ScopeField() scope?: CallerScope;
}
export class ReclassifyCaseCommand extends ReclassifyCaseRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ScopeField() scope?: CallerScope;
}
export class AssignCaseCommand extends AssignCaseRequest {
  @Matches(ID_PATTERN) caseId!: string;
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ScopeField() scope?: CallerScope;
}

export class TimelineQuery {
  /** Recompute the hash chain and report where it breaks. */
  @IsOptional() @Transform(toBoolean) @IsBoolean() verify?: boolean;
  /** From a previous page's `nextCursor` (or a case record's `timelineCursor`). */
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
  /** Entries per page, 1..200 (default 100); a page also stops at about 512 KB. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}
export class CaseTimelineQuery extends TimelineQuery {
  @Matches(ID_PATTERN) id!: string;
  /** Set by the gateway for an account-scoped caller: another account's case is not found. */
  @ScopeField() scope?: CallerScope;
}

// ---- channels -------------------------------------------------------------------------------

/** An Intercom webhook notification exactly as received: the signature covers the raw bytes. */
export class IntercomWebhookCommand {
  @IsString() @MaxLength(1_000_000) rawBody!: string;
  /** The `X-Hub-Signature` header: `sha1=<hex HMAC-SHA1 of the raw body with the app's client secret>`. */
  @IsOptional() @IsString() @MaxLength(200) signature?: string;
}

export interface IntercomWebhookResult {
  outcome: 'applied' | 'duplicate' | 'ignored' | 'review';
  caseId?: string;
  /** Why an `ignored` notification changed nothing (a topic SLA Desk does not act on, a case already resolved …). */
  reason?: string;
}

export const REVIEW_STATUSES = ['pending', 'accepted', 'dismissed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** An inbound message intake could not attribute to an account: kept for a human, never dropped. */
export interface ReviewItemView {
  id: string;
  channel: Channel;
  reason: string;
  /** `email` is '' when the message gives no usable address (an Intercom lead without one). */
  from: { name: string; email: string };
  /** For Intercom: the author exactly as the notification named them (`type` user/lead, Intercom `id`, name, email). */
  intercomAuthor?: { type?: string; id?: string; name?: string; email?: string };
  subject: string;
  text: string;
  attachments: AttachmentView[];
  receivedAt: string;
  status: ReviewStatus;
  caseId?: string;
}

export class ListReviewQueueQuery {
  @IsOptional() @IsIn(CHANNELS) channel?: Channel;
  @IsOptional() @IsIn(REVIEW_STATUSES) status?: ReviewStatus;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

/** Opens a case from a review item for the account a human attributed it to. */
export class AcceptReviewItemRequest {
  @Matches(ID_PATTERN) accountId!: string;
  /** The case's contact; required when the message names no email address (answers 422 REVIEW.CONTACT_REQUIRED without). */
  @IsOptional() @IsObject() @ValidateNested() @Type(() => ContactDto) contact?: ContactDto;
}
export class AcceptReviewItemCommand extends AcceptReviewItemRequest {
  @Matches(ID_PATTERN) id!: string;
}
export class DismissReviewItemCommand {
  @Matches(ID_PATTERN) id!: string;
}

// ---- subjects -------------------------------------------------------------------------------

/** Case lifecycle events (intake publishes them through its outbox). DO NOT RENAME. */
export const CaseEvents = {
  CaseOpened: 'sladesk.evt.case.opened.v1',
  CaseResponded: 'sladesk.evt.case.responded.v1',
  CaseCustomerReplied: 'sladesk.evt.case.customer-replied.v1',
  CaseStatusChanged: 'sladesk.evt.case.status-changed.v1',
  CaseReclassified: 'sladesk.evt.case.reclassified.v1',
  CaseAssigned: 'sladesk.evt.case.assigned.v1',
  CaseNoteAdded: 'sladesk.evt.case.note-added.v1',
  CaseResolved: 'sladesk.evt.case.resolved.v1',
  CaseReopened: 'sladesk.evt.case.reopened.v1',
  /** The sealed timeline entries one change appended (every change, also those no other case event announces). */
  CaseTimelineAppended: 'sladesk.evt.case.timeline-appended.v1',
} as const;

/** Requests intake answers. DO NOT RENAME. */
export const CaseRpc = {
  CaseCreate: 'sladesk.rpc.intake.case.create.v1',
  CaseGet: 'sladesk.rpc.intake.case.get.v1',
  CaseList: 'sladesk.rpc.intake.case.list.v1',
  CaseTimeline: 'sladesk.rpc.intake.case.timeline.v1',
  CaseRespond: 'sladesk.rpc.intake.case.respond.v1',
  CaseCustomerReply: 'sladesk.rpc.intake.case.customer-reply.v1',
  CaseAddAction: 'sladesk.rpc.intake.case.add-action.v1',
  CaseChangeStatus: 'sladesk.rpc.intake.case.change-status.v1',
  CaseResolve: 'sladesk.rpc.intake.case.resolve.v1',
  CaseReopen: 'sladesk.rpc.intake.case.reopen.v1',
  CaseReclassify: 'sladesk.rpc.intake.case.reclassify.v1',
  CaseAssign: 'sladesk.rpc.intake.case.assign.v1',
  IntercomWebhook: 'sladesk.rpc.intake.intercom.webhook.v1',
  ReviewQueueList: 'sladesk.rpc.intake.review-queue.list.v1',
  ReviewQueueAccept: 'sladesk.rpc.intake.review-queue.accept.v1',
  ReviewQueueDismiss: 'sladesk.rpc.intake.review-queue.dismiss.v1',
} as const;

// ---- event payloads -------------------------------------------------------------------------
// Every case event names the case and its account, and the instant the change happened.

export class CaseEventBase {
  @Matches(ID_PATTERN) caseId!: string;
  @Matches(ID_PATTERN) accountId!: string;
  /** When it happened (for a response or reply: when it was sent, which may precede recording). */
  @IsISO8601() at!: string;
}

export class CaseOpenedPayload {
  @Matches(ID_PATTERN) caseId!: string;
  @IsInt() number!: number;
  @Matches(ID_PATTERN) accountId!: string;
  @IsIn(CHANNELS) channel!: Channel;
  @IsIn(SEVERITIES) severity!: Severity;
  @IsIn(CATEGORIES) category!: Category;
  /** When the customer asked: every SLA clock starts here. */
  @IsISO8601() receivedAt!: string;
}

/** A response by us to the customer. `first` is true for the case's first response. */
export class CaseRespondedPayload extends CaseEventBase {
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
  @IsBoolean() first!: boolean;
  @IsIn(CHANNELS) channel!: Channel;
}

/** A message from the customer on an open case: resumes a paused clock, starts a next-response clock. */
export class CaseCustomerRepliedPayload extends CaseEventBase {
  @IsIn(CHANNELS) channel!: Channel;
}

export class CaseStatusChangedPayload extends CaseEventBase {
  @IsIn(CASE_STATUSES) from!: CaseStatus;
  @IsIn(CASE_STATUSES) to!: CaseStatus;
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
}

/** Severity or category changed after opening: SLA goals are recomputed from the case's history. */
export class CaseReclassifiedPayload extends CaseEventBase {
  @IsIn(SEVERITIES) severity!: Severity;
  @IsIn(CATEGORIES) category!: Category;
  @IsIn(SEVERITIES) previousSeverity!: Severity;
  @IsIn(CATEGORIES) previousCategory!: Category;
  @IsString() @MaxLength(1000) reason!: string;
}

export class CaseAssignedPayload extends CaseEventBase {
  @IsOptional() @Matches(ID_PATTERN) assigneeId?: string;
  @IsOptional() @Matches(ID_PATTERN) previousAssigneeId?: string;
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
  /** The escalation whose request for an owner this assignment carries out (absent: a person's assignment). */
  @IsOptional() @Matches(ID_PATTERN) escalationId?: string;
}

/** Internal work recorded on a case (a note, a step, the analysis, an escalation). */
export class CaseNoteAddedPayload extends CaseEventBase {
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
  @IsOptional() @IsIn(ACTION_KINDS) kind?: ActionKind;
}

export class CaseResolvedPayload extends CaseEventBase {
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
}

export class CaseReopenedPayload extends CaseEventBase {
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
  /** How many times this case has been reopened, this time included. */
  @IsInt() @Min(1) reopenCount!: number;
}

export class AttachmentDto implements AttachmentView {
  @IsString() filename!: string;
  @IsString() contentType!: string;
  @IsInt() @Min(0) size!: number;
  @IsString() sha256!: string;
}

/**
 * A timeline entry exactly as sealed: every fact its hash covers (`source` included, which the HTTP
 * views leave out), so a reader can recompute the chain (see apps/intake/src/cases/timeline/timeline.ts).
 */
export class TimelineEntryPayload {
  @IsInt() @Min(1) seq!: number;
  @IsIn(TIMELINE_KINDS) kind!: TimelineKind;
  @IsISO8601() at!: string;
  @IsISO8601() recordedAt!: string;
  @ValidateNested() @Type(() => ActorDto) actor!: ActorDto;
  @IsString() text!: string;
  @IsOptional() @IsObject() data?: Record<string, unknown>;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => AttachmentDto) attachments?: AttachmentDto[];
  /** `key:<Idempotency-Key>`, `intercom:<id>`, `email:<Message-ID>`, `escalation:<eventId>` … when the entry has one. */
  @IsOptional() @IsString() source?: string;
  /** Hash version 2: see TimelineEntryView.pd. */
  @IsOptional() @IsObject() pd?: { salt?: string; c: Record<string, string>; erased?: boolean };
  @Matches(/^[0-9a-f]{64}$/) prevHash!: string;
  @Matches(/^[0-9a-f]{64}$/) hash!: string;
}

/** Published with every change of a case's timeline (opening included): the entries it appended, in order. */
export class CaseTimelineAppendedPayload {
  @Matches(ID_PATTERN) caseId!: string;
  @Matches(ID_PATTERN) accountId!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => TimelineEntryPayload) entries!: TimelineEntryPayload[];
}

// ---- maps -----------------------------------------------------------------------------------

export interface CaseEventMap {
  [CaseEvents.CaseOpened]: CaseOpenedPayload;
  [CaseEvents.CaseResponded]: CaseRespondedPayload;
  [CaseEvents.CaseCustomerReplied]: CaseCustomerRepliedPayload;
  [CaseEvents.CaseStatusChanged]: CaseStatusChangedPayload;
  [CaseEvents.CaseReclassified]: CaseReclassifiedPayload;
  [CaseEvents.CaseAssigned]: CaseAssignedPayload;
  [CaseEvents.CaseNoteAdded]: CaseNoteAddedPayload;
  [CaseEvents.CaseResolved]: CaseResolvedPayload;
  [CaseEvents.CaseReopened]: CaseReopenedPayload;
  [CaseEvents.CaseTimelineAppended]: CaseTimelineAppendedPayload;
}

export const CaseEventClasses = {
  [CaseEvents.CaseOpened]: CaseOpenedPayload,
  [CaseEvents.CaseResponded]: CaseRespondedPayload,
  [CaseEvents.CaseCustomerReplied]: CaseCustomerRepliedPayload,
  [CaseEvents.CaseStatusChanged]: CaseStatusChangedPayload,
  [CaseEvents.CaseReclassified]: CaseReclassifiedPayload,
  [CaseEvents.CaseAssigned]: CaseAssignedPayload,
  [CaseEvents.CaseNoteAdded]: CaseNoteAddedPayload,
  [CaseEvents.CaseResolved]: CaseResolvedPayload,
  [CaseEvents.CaseReopened]: CaseReopenedPayload,
  [CaseEvents.CaseTimelineAppended]: CaseTimelineAppendedPayload,
};

export interface CaseRpcMap {
  [CaseRpc.CaseCreate]: { request: CreateCaseCommand; response: CaseView };
  [CaseRpc.CaseGet]: { request: GetCaseQuery; response: CaseRecord };
  [CaseRpc.CaseList]: { request: ListCasesQuery; response: Page<CaseSummary> };
  [CaseRpc.CaseTimeline]: { request: CaseTimelineQuery; response: CaseTimeline };
  [CaseRpc.CaseRespond]: { request: RespondToCaseCommand; response: CaseChange };
  [CaseRpc.CaseCustomerReply]: { request: RecordCustomerReplyCommand; response: CaseChange };
  [CaseRpc.CaseAddAction]: { request: AddCaseActionCommand; response: CaseChange };
  [CaseRpc.CaseChangeStatus]: { request: ChangeCaseStatusCommand; response: CaseChange };
  [CaseRpc.CaseResolve]: { request: ResolveCaseCommand; response: CaseChange };
  [CaseRpc.CaseReopen]: { request: ReopenCaseCommand; response: CaseChange };
  [CaseRpc.CaseReclassify]: { request: ReclassifyCaseCommand; response: CaseChange };
  [CaseRpc.CaseAssign]: { request: AssignCaseCommand; response: CaseChange };
  [CaseRpc.IntercomWebhook]: { request: IntercomWebhookCommand; response: IntercomWebhookResult };
  [CaseRpc.ReviewQueueList]: { request: ListReviewQueueQuery; response: Page<ReviewItemView> };
  [CaseRpc.ReviewQueueAccept]: { request: AcceptReviewItemCommand; response: CaseView };
  [CaseRpc.ReviewQueueDismiss]: { request: DismissReviewItemCommand; response: ReviewItemView };
}

export const CaseRpcClasses = {
  [CaseRpc.CaseCreate]: CreateCaseCommand,
  [CaseRpc.CaseGet]: GetCaseQuery,
  [CaseRpc.CaseList]: ListCasesQuery,
  [CaseRpc.CaseTimeline]: CaseTimelineQuery,
  [CaseRpc.CaseRespond]: RespondToCaseCommand,
  [CaseRpc.CaseCustomerReply]: RecordCustomerReplyCommand,
  [CaseRpc.CaseAddAction]: AddCaseActionCommand,
  [CaseRpc.CaseChangeStatus]: ChangeCaseStatusCommand,
  [CaseRpc.CaseResolve]: ResolveCaseCommand,
  [CaseRpc.CaseReopen]: ReopenCaseCommand,
  [CaseRpc.CaseReclassify]: ReclassifyCaseCommand,
  [CaseRpc.CaseAssign]: AssignCaseCommand,
  [CaseRpc.IntercomWebhook]: IntercomWebhookCommand,
  [CaseRpc.ReviewQueueList]: ListReviewQueueQuery,
  [CaseRpc.ReviewQueueAccept]: AcceptReviewItemCommand,
  [CaseRpc.ReviewQueueDismiss]: DismissReviewItemCommand,
};
