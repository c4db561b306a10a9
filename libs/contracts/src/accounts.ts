// Contracts of the accounts context: customer accounts and our staff, owned by intake. Other services
// (escalation: CSM and roles; sla: per-account time zone) keep local copies from the events below.
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsFQDN,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsTimeZone,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ContactDto, ID_PATTERN, Page } from './cases';

export const STAFF_ROLES = ['csm', 'tier2', 'executive', 'manager', 'admin'] as const;
/** `HH:MM-HH:MM`, local time of the staff member's zone. */
export const WORKING_HOURS = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
export type StaffRole = (typeof STAFF_ROLES)[number];

// ---- accounts -------------------------------------------------------------------------------

export class CreateAccountRequest {
  /** Optional stable id of your choosing (e.g. your CRM key); generated when absent. */
  @IsOptional() @Matches(ID_PATTERN, { message: 'id must be an id (letters, digits, _ - . :)' }) id?: string;
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  /** IANA time zone of the customer, e.g. `America/New_York`. */
  @IsTimeZone() timeZone!: string;
  /** The dedicated Customer Success Manager (Tier 1): a staff member with the `csm` role. */
  @IsOptional() @Matches(ID_PATTERN) csmId?: string;
  /** The customer's people allowed to open cases. */
  @IsOptional() @IsArray() @ArrayMaxSize(500) @ValidateNested({ each: true }) @Type(() => ContactDto) contacts?: ContactDto[];
  /** Mail from these domains is attributed to the account, e.g. `acme.com`. */
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ArrayUnique() @IsFQDN({}, { each: true }) emailDomains?: string[];
}

export class CreateAccountCommand extends CreateAccountRequest {
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
}

/** Every field optional; arrays replace the stored ones. `csmId: null` removes the CSM. */
export class UpdateAccountRequest {
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;
  @IsOptional() @IsTimeZone() timeZone?: string;
  @IsOptional() @ValidateIf((_o, v) => v !== null) @Matches(ID_PATTERN) csmId?: string | null;
  @IsOptional() @IsArray() @ArrayMaxSize(500) @ValidateNested({ each: true }) @Type(() => ContactDto) contacts?: ContactDto[];
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ArrayUnique() @IsFQDN({}, { each: true }) emailDomains?: string[];
}

export class UpdateAccountCommand extends UpdateAccountRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class GetByIdQuery {
  @Matches(ID_PATTERN) id!: string;
}

export class ListQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

/** The full account, as answered by the API and carried by account events. */
export class AccountPayload {
  @Matches(ID_PATTERN) id!: string;
  @IsString() name!: string;
  @IsTimeZone() timeZone!: string;
  @IsOptional() @Matches(ID_PATTERN) csmId?: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ContactDto) contacts!: ContactDto[];
  @IsArray() @IsString({ each: true }) emailDomains!: string[];
  /** Increases by one with every change: a consumer keeps the highest version it saw. */
  @IsInt() @Min(1) version!: number;
  @IsISO8601() createdAt!: string;
  @IsISO8601() updatedAt!: string;
}
export type AccountView = AccountPayload;

// ---- staff ----------------------------------------------------------------------------------

export class CreateStaffRequest {
  @IsOptional() @Matches(ID_PATTERN, { message: 'id must be an id (letters, digits, _ - . :)' }) id?: string;
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @IsEmail() @MaxLength(320) email!: string;
  @IsArray() @ArrayNotEmpty() @ArrayUnique() @IsIn(STAFF_ROLES, { each: true }) roles!: StaffRole[];
  /** Their admin id in Intercom: replies they send from SLA Desk are posted to Intercom as them. */
  @IsOptional() @IsString() @MaxLength(64) intercomAdminId?: string;
  /** Where they work (IANA); non-critical notifications wait for their working hours there. */
  @IsOptional() @IsTimeZone() timeZone?: string;
  /** Their working hours, Monday to Friday, e.g. `09:00-18:00` (default: the escalation service's). */
  @IsOptional() @Matches(WORKING_HOURS, { message: 'workingHours must look like 09:00-18:00' }) workingHours?: string;
}

export class CreateStaffCommand extends CreateStaffRequest {
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
}

export class UpdateStaffRequest {
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) name?: string;
  @IsOptional() @IsEmail() @MaxLength(320) email?: string;
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayUnique() @IsIn(STAFF_ROLES, { each: true }) roles?: StaffRole[];
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsString() @MaxLength(64) intercomAdminId?: string | null;
  /** An inactive member keeps their history but receives no new work. */
  @IsOptional() @IsBoolean() active?: boolean;
  /** Where they work (IANA); non-critical notifications wait for their working hours there. */
  @IsOptional() @IsTimeZone() timeZone?: string;
  /** Their working hours, Monday to Friday, e.g. `09:00-18:00` (default: the escalation service's). */
  @IsOptional() @Matches(WORKING_HOURS, { message: 'workingHours must look like 09:00-18:00' }) workingHours?: string;
}

export class UpdateStaffCommand extends UpdateStaffRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class StaffPayload {
  @Matches(ID_PATTERN) id!: string;
  @IsString() name!: string;
  @IsEmail() email!: string;
  @IsArray() @IsIn(STAFF_ROLES, { each: true }) roles!: StaffRole[];
  @IsOptional() @IsString() intercomAdminId?: string;
  @IsOptional() @IsTimeZone() timeZone?: string;
  @IsOptional() @Matches(WORKING_HOURS) workingHours?: string;
  @IsBoolean() active!: boolean;
  @IsInt() @Min(1) version!: number;
  @IsISO8601() createdAt!: string;
  @IsISO8601() updatedAt!: string;
}
export type StaffView = StaffPayload;

// ---- subjects -------------------------------------------------------------------------------

/** Events: the payload is the whole account or staff member after the change. DO NOT RENAME. */
export const AccountEvents = {
  AccountCreated: 'sladesk.evt.account.created.v1',
  AccountUpdated: 'sladesk.evt.account.updated.v1',
  StaffCreated: 'sladesk.evt.staff.created.v1',
  StaffUpdated: 'sladesk.evt.staff.updated.v1',
} as const;

/** Requests intake answers. DO NOT RENAME. */
export const AccountRpc = {
  AccountCreate: 'sladesk.rpc.intake.account.create.v1',
  AccountUpdate: 'sladesk.rpc.intake.account.update.v1',
  AccountGet: 'sladesk.rpc.intake.account.get.v1',
  AccountList: 'sladesk.rpc.intake.account.list.v1',
  StaffCreate: 'sladesk.rpc.intake.staff.create.v1',
  StaffUpdate: 'sladesk.rpc.intake.staff.update.v1',
  StaffGet: 'sladesk.rpc.intake.staff.get.v1',
  StaffList: 'sladesk.rpc.intake.staff.list.v1',
} as const;

export interface AccountEventMap {
  [AccountEvents.AccountCreated]: AccountPayload;
  [AccountEvents.AccountUpdated]: AccountPayload;
  [AccountEvents.StaffCreated]: StaffPayload;
  [AccountEvents.StaffUpdated]: StaffPayload;
}

export const AccountEventClasses = {
  [AccountEvents.AccountCreated]: AccountPayload,
  [AccountEvents.AccountUpdated]: AccountPayload,
  [AccountEvents.StaffCreated]: StaffPayload,
  [AccountEvents.StaffUpdated]: StaffPayload,
};

export interface AccountRpcMap {
  [AccountRpc.AccountCreate]: { request: CreateAccountCommand; response: AccountView };
  [AccountRpc.AccountUpdate]: { request: UpdateAccountCommand; response: AccountView };
  [AccountRpc.AccountGet]: { request: GetByIdQuery; response: AccountView };
  [AccountRpc.AccountList]: { request: ListQuery; response: Page<AccountView> };
  [AccountRpc.StaffCreate]: { request: CreateStaffCommand; response: StaffView };
  [AccountRpc.StaffUpdate]: { request: UpdateStaffCommand; response: StaffView };
  [AccountRpc.StaffGet]: { request: GetByIdQuery; response: StaffView };
  [AccountRpc.StaffList]: { request: ListQuery; response: Page<StaffView> };
}

export const AccountRpcClasses = {
  [AccountRpc.AccountCreate]: CreateAccountCommand,
  [AccountRpc.AccountUpdate]: UpdateAccountCommand,
  [AccountRpc.AccountGet]: GetByIdQuery,
  [AccountRpc.AccountList]: ListQuery,
  [AccountRpc.StaffCreate]: CreateStaffCommand,
  [AccountRpc.StaffUpdate]: UpdateStaffCommand,
  [AccountRpc.StaffGet]: GetByIdQuery,
  [AccountRpc.StaffList]: ListQuery,
};
