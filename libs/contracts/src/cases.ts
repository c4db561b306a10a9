import { Type } from 'class-transformer';
import {
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
}

export class GetCaseQuery {
  @Matches(ID_PATTERN) id!: string;
}

export class ListCasesQuery {
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  @IsOptional() @IsIn(CASE_STATUSES) status?: CaseStatus;
  @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export interface CaseView {
  id: string;
  number: number;
  accountId: string;
  contact: { name: string; email: string };
  channel: Channel;
  subject: string;
  description: string;
  severity: Severity;
  category: Category;
  status: CaseStatus;
  receivedAt: string;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
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
} as const;

/** Requests intake answers. DO NOT RENAME. */
export const CaseRpc = {
  CaseCreate: 'sladesk.rpc.intake.case.create.v1',
  CaseGet: 'sladesk.rpc.intake.case.get.v1',
  CaseList: 'sladesk.rpc.intake.case.list.v1',
} as const;

// ---- event payloads -------------------------------------------------------------------------
// Every case event names the case and its account, and the instant the change happened.

export class CaseEventBase {
  @Matches(ID_PATTERN) caseId!: string;
  @Matches(ID_PATTERN) accountId!: string;
  /** When it happened (for a response or reply: when it was sent, which may precede recording). */
  @IsISO8601() at!: string;
}

/** Who did something: a staff member, the customer's contact, or the system (rules, timers). */
export class ActorDto {
  @IsIn(['staff', 'contact', 'system']) kind!: 'staff' | 'contact' | 'system';
  @IsOptional() @Matches(ID_PATTERN) id?: string;
  @IsString() @MaxLength(200) name!: string;
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
}

export class CaseNoteAddedPayload extends CaseEventBase {
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
}

export class CaseResolvedPayload extends CaseEventBase {
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
}

export class CaseReopenedPayload extends CaseEventBase {
  @ValidateNested() @Type(() => ActorDto) by!: ActorDto;
  /** How many times this case has been reopened, this time included. */
  @IsInt() @Min(1) reopenCount!: number;
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
};

export interface CaseRpcMap {
  [CaseRpc.CaseCreate]: { request: CreateCaseCommand; response: CaseView };
  [CaseRpc.CaseGet]: { request: GetCaseQuery; response: CaseView };
  [CaseRpc.CaseList]: { request: ListCasesQuery; response: Page<CaseView> };
}

export const CaseRpcClasses = {
  [CaseRpc.CaseCreate]: CreateCaseCommand,
  [CaseRpc.CaseGet]: GetCaseQuery,
  [CaseRpc.CaseList]: ListCasesQuery,
};
