import { Type } from 'class-transformer';
import {
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

export class CaseOpenedPayload {
  @Matches(ID_PATTERN) caseId!: string;
  @IsInt() number!: number;
  @Matches(ID_PATTERN) accountId!: string;
  @IsIn(CHANNELS) channel!: Channel;
  @IsIn(SEVERITIES) severity!: Severity;
  @IsIn(CATEGORIES) category!: Category;
  @IsISO8601() receivedAt!: string;
}

export class CaseCountsQuery {
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  /** Inclusive UTC day `YYYY-MM-DD`. */
  @Matches(/^\d{4}-\d{2}-\d{2}$/) from!: string;
  @Matches(/^\d{4}-\d{2}-\d{2}$/) to!: string;
}

export interface CaseCounts {
  from: string;
  to: string;
  accountId?: string;
  opened: number;
  bySeverity: Record<Severity, number>;
  byChannel: Record<Channel, number>;
}
