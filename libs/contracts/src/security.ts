// Contracts of the security context: API keys and their revocation, the caller's account scope on
// requests to services, the audit log, bulk chain verification, and erasure of a contact's personal data.
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
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
  ValidateNested,
} from 'class-validator';
import { CallerScope, ID_PATTERN } from './cases';

/**
 * Who may call the API. `integration` is the only role bound to one account: such a caller sees and
 * changes only that account's objects (the gateway forces it, intake's repositories enforce it too).
 */
export const API_ROLES = ['admin', 'manager', 'csm', 'tier2', 'executive', 'agent', 'integration'] as const;
export type ApiRole = (typeof API_ROLES)[number];

// ---- API keys -------------------------------------------------------------------------------

export class CreateApiKeyRequest {
  /** What the key is for, e.g. `crm-sync` or `Carla's laptop`. */
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  /** `integration` must be alone and needs `accountId`; the other roles may be combined. */
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(API_ROLES.length) @ArrayUnique() @IsIn(API_ROLES, { each: true }) roles!: ApiRole[];
  /** The one account an `integration` key is confined to. */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  /** When the key stops working (ISO-8601, in the future); never, when absent. */
  @IsOptional() @IsISO8601({ strict: true }) expiresAt?: string;
}

export class ListApiKeysQuery {
  /** Revoked and expired keys too. */
  @IsOptional() @IsIn(['true', 'false']) all?: 'true' | 'false';
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export interface ApiKeyView {
  /** The key id: the visible part of the key (`sld_<id>_…`), never secret. */
  id: string;
  name: string;
  roles: ApiRole[];
  accountId?: string;
  /** `environment`: seeded at start from SLADESK_ADMIN_API_KEY. */
  origin: 'api' | 'environment';
  createdAt: string;
  createdBy?: string;
  expiresAt?: string;
  revokedAt?: string;
  revokedBy?: string;
  /** Approximate: written at most once a minute per gateway instance. */
  lastUsedAt?: string;
  state: 'active' | 'expired' | 'revoked';
}

/** The answer to creating a key: the only time the secret is ever shown. */
export interface CreatedApiKeyView extends ApiKeyView {
  key: string;
}

export class ApiKeyRevokedPayload {
  @Matches(ID_PATTERN) keyId!: string;
  @IsISO8601() revokedAt!: string;
  @IsOptional() @IsString() @MaxLength(200) revokedBy?: string;
}

// ---- audit ----------------------------------------------------------------------------------

export class ListAuditQuery {
  /** Only what this caller did: `key:<key id>` or `oidc:<subject>`. */
  @IsOptional() @IsString() @MaxLength(300) @Matches(/^[A-Za-z0-9_.:@|-]+$/) actor?: string;
  /** Records at or after this instant. */
  @IsOptional() @IsISO8601({ strict: true }) from?: string;
  /** Records before this instant. */
  @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export interface AuditRecordView {
  id: string;
  at: string;
  /** `key:<key id>`, `oidc:<subject>`, or `anonymous` (public routes, refused credentials). */
  actor: string;
  roles: string[];
  accountId?: string;
  /** The source address as the gateway saw it (behind a trusted proxy: the client's). */
  ip: string;
  userAgent?: string;
  method: string;
  /** The route pattern, e.g. `/v1/cases/:id/responses`. */
  route: string;
  /** The path as requested (ids included, no query string). */
  path: string;
  correlationId?: string;
  /** The answer's status; absent while the request is still being served (or if the gateway died meanwhile). */
  status?: number;
  code?: string;
  durationMs?: number;
}

export class VerifyAuditQuery {
  /** Cases per request to intake (default 50). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) batch?: number;
  /** Only the cases of one account. */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
}

/** A page of cases whose hash chains intake recomputes (`GET /v1/audit/verify` walks every page). */
export class VerifyCasesPageQuery {
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  @IsOptional() @ValidateNested() @Type(() => CallerScope) scope?: CallerScope;
}

export interface CaseChainResult {
  caseId: string;
  accountId: string;
  number: number;
  intact: boolean;
  entries: number;
  headHash: string;
  brokenAt?: { seq: number; reason: string };
  /** Entries whose personal data was erased (their commitments still verify). */
  erased?: number;
}

export interface VerifyCasesPage {
  results: CaseChainResult[];
  /** Absent after the last case. */
  nextCursor?: string;
}

// ---- personal data --------------------------------------------------------------------------

export const ERASURE_REASONS = ['request', 'retention'] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

/**
 * `POST /v1/contacts/erasures`: forget a person (GDPR Art. 17). Every case whose contact has this
 * address (in the account, or in every account) loses the contact's name and email and every free text.
 */
export class EraseContactRequest {
  @IsEmail() @MaxLength(320) email!: string;
  /** Only the cases of this account; every account when absent. */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  /** Why: a data subject's request (default). */
  @IsOptional() @IsIn(ERASURE_REASONS) reason?: ErasureReason;
  /** Free text for the erasure record (a ticket number); must not itself contain the personal data. */
  @IsOptional() @IsString() @MaxLength(500) note?: string;
}

export class EraseContactCommand extends EraseContactRequest {
  @IsOptional() @ValidateNested() @Type(() => CallerScope) scope?: CallerScope;
  /** Who asked: `key:<id>` or `oidc:<subject>` (kept in the erasure record). */
  @IsOptional() @IsString() @MaxLength(300) by?: string;
}

export interface ErasureView {
  id: string;
  /** sha256 of the lower-cased address: lets every service find what it keeps about the person without the address itself. */
  emailSha256: string;
  accountId?: string;
  reason: ErasureReason;
  caseIds: string[];
  /** Timeline entries whose personal data was removed (their commitments stay in the chain). */
  entriesErased: number;
  /**
   * Entries sealed before personal data was kept apart (hash version 1): their name, email and text
   * are inside the hash and stay, or every chain would break. Listed so they can be handled by hand.
   */
  retained: { caseId: string; seqs: number[] }[];
  at: string;
  by?: string;
}

/**
 * Published once intake has erased a contact. Carries no personal data: each service finds what it
 * keeps about the person by `emailSha256` (sha256 of the lower-cased address) or by `caseIds`.
 */
export class ContactErasedPayload {
  @Matches(ID_PATTERN) erasureId!: string;
  @Matches(/^[0-9a-f]{64}$/) emailSha256!: string;
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  @IsArray() @Matches(ID_PATTERN, { each: true }) caseIds!: string[];
  @IsIn(ERASURE_REASONS) reason!: ErasureReason;
  /** What stands in for the name from now on, e.g. `erased-contact-3f9a1c`. */
  @IsString() @MaxLength(200) pseudonym!: string;
  @IsISO8601() at!: string;
}

export class GetErasureQuery {
  @Matches(ID_PATTERN) id!: string;
}

/** Resolved cases older than this many days lose their personal data (a retention sweep in intake). */
export class RetentionSweepCommand {
  @IsInt() @Min(1) olderThanDays!: number;
  @IsOptional() @IsInt() @Min(1) @Max(1000) limit?: number;
  @IsOptional() @IsBoolean() dryRun?: boolean;
}

export interface RetentionSweepResult {
  erased: string[];
  /** More cases are due: run again. */
  more: boolean;
}

// ---- subjects -------------------------------------------------------------------------------

/** DO NOT RENAME. */
export const SecurityEvents = {
  /** A revoked key: every gateway instance drops it from its cache at once. */
  ApiKeyRevoked: 'sladesk.evt.auth.api-key-revoked.v1',
  /** A contact's personal data was erased from intake: every service removes its copies. */
  ContactErased: 'sladesk.evt.contact.erased.v1',
} as const;

/** DO NOT RENAME. */
export const SecurityRpc = {
  /** Recompute the hash chains of a page of cases. */
  CaseVerifyPage: 'sladesk.rpc.intake.case.verify-page.v1',
  ContactErase: 'sladesk.rpc.intake.contact.erase.v1',
  ErasureGet: 'sladesk.rpc.intake.contact.erasure-get.v1',
  RetentionSweep: 'sladesk.rpc.intake.case.retention-sweep.v1',
} as const;

export interface SecurityEventMap {
  [SecurityEvents.ApiKeyRevoked]: ApiKeyRevokedPayload;
  [SecurityEvents.ContactErased]: ContactErasedPayload;
}

export const SecurityEventClasses = {
  [SecurityEvents.ApiKeyRevoked]: ApiKeyRevokedPayload,
  [SecurityEvents.ContactErased]: ContactErasedPayload,
};

export interface SecurityRpcMap {
  [SecurityRpc.CaseVerifyPage]: { request: VerifyCasesPageQuery; response: VerifyCasesPage };
  [SecurityRpc.ContactErase]: { request: EraseContactCommand; response: ErasureView };
  [SecurityRpc.ErasureGet]: { request: GetErasureQuery; response: ErasureView };
  [SecurityRpc.RetentionSweep]: { request: RetentionSweepCommand; response: RetentionSweepResult };
}

export const SecurityRpcClasses = {
  [SecurityRpc.CaseVerifyPage]: VerifyCasesPageQuery,
  [SecurityRpc.ContactErase]: EraseContactCommand,
  [SecurityRpc.ErasureGet]: GetErasureQuery,
  [SecurityRpc.RetentionSweep]: RetentionSweepCommand,
};
