// Contracts of the maintenance context: maintenance windows (one-off and recurring) with their
// reminders, the advisory pipeline (security patches, updates, upgrades, releases, documentation)
// with its evidence, who is told (notice preferences of each account) and the notices themselves.
// Owned by the maintenance service; merged into the global maps in map.ts.
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
  IsObject,
  IsOptional,
  IsString,
  IsTimeZone,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CallerScope, ID_PATTERN, ScopeField } from './cases';

export const WINDOW_IMPACTS = ['none', 'degraded', 'outage'] as const;
export type WindowImpact = (typeof WINDOW_IMPACTS)[number];
export const WINDOW_STATES = ['scheduled', 'in_progress', 'completed', 'cancelled'] as const;
export type WindowState = (typeof WINDOW_STATES)[number];
/** `all`: every account; `subscribers`: accounts subscribed to one of the affected components (an account without a list of subscriptions is subscribed to every component). */
export const AUDIENCES = ['all', 'subscribers'] as const;
export type Audience = (typeof AUDIENCES)[number];

export const ADVISORY_KINDS = ['security_patch', 'update', 'upgrade', 'release', 'documentation'] as const;
export type AdvisoryKind = (typeof ADVISORY_KINDS)[number];
export const ADVISORY_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type AdvisorySeverity = (typeof ADVISORY_SEVERITIES)[number];
/** draft → applied (on the test version) → validated → released. A failed validation goes back to draft. */
export const ADVISORY_STAGES = ['draft', 'applied', 'validated', 'released'] as const;
export type AdvisoryStage = (typeof ADVISORY_STAGES)[number];

export const NOTICE_KINDS = [
  'window.scheduled',
  'window.rescheduled',
  'window.reminder',
  'window.started',
  'window.completed',
  'window.cancelled',
  'advisory.announced',
  'advisory.released',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** A component id, e.g. `database`, `api`, `eu-west.web`. */
export const COMPONENT_PATTERN = ID_PATTERN;
/** ISO-8601 duration with days, hours, minutes, seconds, e.g. `PT72H`, `P1D`, `PT30M`. */
export const OFFSET_PATTERN = /^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;
/** A local date-time without zone, `YYYY-MM-DDTHH:MM` or with seconds. */
export const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
/** The RRULE value (after `RRULE:`), e.g. `FREQ=MONTHLY;BYDAY=2TU`; parsed for real by the service. */
export const RRULE_PATTERN = /^FREQ=(YEARLY|MONTHLY|WEEKLY|DAILY)(;[A-Z]+=[A-Za-z0-9,+\-:]+)*$/;

const components = () => [
  IsArray(),
  ArrayNotEmpty(),
  ArrayMaxSize(50),
  ArrayUnique(),
  Matches(COMPONENT_PATTERN, { each: true, message: 'each component must be an id (letters, digits, _ - . :)' }),
];
const apply =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => decorators.forEach((d) => d(target, key));

// ---- windows --------------------------------------------------------------------------------

/**
 * A recurring window: every occurrence of the rule becomes its own window. Times are local to
 * `timeZone`, so "every second Tuesday 02:00–04:00 America/New_York" stays 02:00–04:00 there across
 * daylight-saving changes.
 */
export class RecurrenceDto {
  /** RRULE value without DTSTART, e.g. `FREQ=MONTHLY;BYDAY=2TU` or `FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=10`. */
  @Matches(RRULE_PATTERN, { message: 'rrule must look like FREQ=MONTHLY;BYDAY=2TU' }) @MaxLength(500) rrule!: string;
  /** IANA zone the local times are in. */
  @IsTimeZone() timeZone!: string;
  /** Local start of the first occurrence (DTSTART), e.g. `2025-03-11T02:00`. */
  @Matches(LOCAL_DATE_TIME, { message: 'start must be a local date-time like 2025-03-11T02:00' }) start!: string;
  /** Local end of the first occurrence; every occurrence lasts as long on the wall clock. */
  @Matches(LOCAL_DATE_TIME, { message: 'end must be a local date-time like 2025-03-11T04:00' }) end!: string;
  /** Local start times of occurrences that do not happen (EXDATE). */
  @IsOptional() @IsArray() @ArrayMaxSize(500) @Matches(LOCAL_DATE_TIME, { each: true }) exceptions?: string[];
}

export class CreateWindowRequest {
  @IsString() @IsNotEmpty() @MaxLength(300) title!: string;
  @IsOptional() @IsString() @MaxLength(20_000) description?: string;
  /** Affected components. */
  @apply(...components()) components!: string[];
  @IsIn(WINDOW_IMPACTS) impact!: WindowImpact;
  /** Planned start (ISO-8601 instant); required unless `recurrence` is given. */
  @ValidateIf((o: CreateWindowRequest) => !o.recurrence) @IsISO8601({ strict: true }) plannedStart?: string;
  @ValidateIf((o: CreateWindowRequest) => !o.recurrence) @IsISO8601({ strict: true }) plannedEnd?: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RecurrenceDto) recurrence?: RecurrenceDto;
  /** Default `all`. */
  @IsOptional() @IsIn(AUDIENCES) audience?: Audience;
  /** Reminders before the planned start (default PT72H, PT24H, PT1H); `[]` sends none. */
  @IsOptional() @IsArray() @ArrayMaxSize(10) @ArrayUnique() @Matches(OFFSET_PATTERN, { each: true, message: 'each offset must be an ISO-8601 duration like PT24H' }) reminderOffsets?: string[];
  /** Who schedules it (staff id), for the record. */
  @IsOptional() @Matches(ID_PATTERN) by?: string;
}

export class CreateWindowCommand extends CreateWindowRequest {
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
}

export class WindowIdQuery {
  @Matches(ID_PATTERN) id!: string;
}

export class ListWindowsQuery {
  @IsOptional() @IsIn(WINDOW_STATES) state?: WindowState;
  @IsOptional() @Matches(COMPONENT_PATTERN) component?: string;
  @IsOptional() @Matches(ID_PATTERN) seriesId?: string;
  /** Windows planned to end at or after this instant. */
  @IsOptional() @IsISO8601({ strict: true }) from?: string;
  /** Windows planned to start before this instant. */
  @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export class StartWindowRequest {
  /** Actual start; default now. */
  @IsOptional() @IsISO8601({ strict: true }) at?: string;
  @IsOptional() @Matches(ID_PATTERN) by?: string;
  @IsOptional() @IsString() @MaxLength(5000) note?: string;
}
export class StartWindowCommand extends StartWindowRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class CompleteWindowRequest {
  /** Actual end; default now. */
  @IsOptional() @IsISO8601({ strict: true }) at?: string;
  @IsOptional() @Matches(ID_PATTERN) by?: string;
  @IsOptional() @IsString() @MaxLength(5000) note?: string;
}
export class CompleteWindowCommand extends CompleteWindowRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class CancelWindowRequest {
  @IsOptional() @Matches(ID_PATTERN) by?: string;
  @IsOptional() @IsString() @MaxLength(5000) reason?: string;
}
export class CancelWindowCommand extends CancelWindowRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class RescheduleWindowRequest {
  @IsISO8601({ strict: true }) plannedStart!: string;
  @IsISO8601({ strict: true }) plannedEnd!: string;
  @IsOptional() @Matches(ID_PATTERN) by?: string;
  @IsOptional() @IsString() @MaxLength(5000) reason?: string;
}
export class RescheduleWindowCommand extends RescheduleWindowRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class CalendarFeedRequest {
  /** Only the windows this account is told about; absent: every window (staff only). */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  /** The feed's signed token (from the account's notice preferences), for calendar apps that send no API key. */
  @IsOptional() @IsString() @MaxLength(200) token?: string;
}

export class CalendarFeedQuery extends CalendarFeedRequest {
  /** Set by the gateway when the caller presented a valid API key. */
  @IsOptional() @IsBoolean() staff?: boolean;
}

export interface CalendarFeed {
  /** text/calendar (RFC 5545). */
  ics: string;
  events: number;
}

export interface WindowHistoryEntry {
  at: string;
  action: 'scheduled' | 'rescheduled' | 'started' | 'completed' | 'cancelled';
  by?: string;
  note?: string;
  /** For a reschedule: the times before. */
  previousStart?: string;
  previousEnd?: string;
}

export interface ReminderView {
  offset: string;
  dueAt: string;
  state: 'pending' | 'sent' | 'cancelled' | 'superseded';
  sentAt?: string;
}

export interface WindowView {
  id: string;
  title: string;
  description: string;
  components: string[];
  impact: WindowImpact;
  state: WindowState;
  plannedStart: string;
  plannedEnd: string;
  actualStart?: string;
  actualEnd?: string;
  audience: Audience;
  reminderOffsets: string[];
  /** Increases with every reschedule: reminder ids carry it. */
  version: number;
  /** For an occurrence of a recurring window. */
  series?: { id: string; rrule: string; timeZone: string; occurrence: number };
  reminders: ReminderView[];
  history: WindowHistoryEntry[];
  createdAt: string;
  updatedAt: string;
}

/** A recurring window's answer: the first occurrence, and every occurrence created. */
export interface CreatedWindowView extends WindowView {
  occurrences?: { id: string; plannedStart: string; plannedEnd: string }[];
}

// ---- advisories -----------------------------------------------------------------------------

export class AffectedComponentDto {
  @Matches(COMPONENT_PATTERN) component!: string;
  /** Affected versions as a semver range, e.g. `>=2.0.0 <2.4.3`. */
  @IsString() @IsNotEmpty() @MaxLength(200) versions!: string;
  /** The version that fixes it, when known. */
  @IsOptional() @IsString() @MaxLength(100) fixedIn?: string;
}

export class CreateAdvisoryRequest {
  @IsIn(ADVISORY_KINDS) kind!: AdvisoryKind;
  @IsIn(ADVISORY_SEVERITIES) severity!: AdvisorySeverity;
  @IsString() @IsNotEmpty() @MaxLength(300) title!: string;
  @IsString() @MaxLength(20_000) summary!: string;
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => AffectedComponentDto) affects!: AffectedComponentDto[];
  /** What customers can do until the patch is released. */
  @IsOptional() @IsString() @MaxLength(20_000) workaround?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(50) @Matches(/^CVE-\d{4}-\d{4,}$/, { each: true }) cves?: string[];
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsUrl({ require_tld: false }, { each: true }) links?: string[];
  /** Notify affected customers now. Default: true for a security patch, false otherwise (they are told at release). */
  @IsOptional() @IsBoolean() announce?: boolean;
  @IsOptional() @Matches(ID_PATTERN) by?: string;
}

export class CreateAdvisoryCommand extends CreateAdvisoryRequest {
  @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
}

export class AdvisoryIdQuery {
  @Matches(ID_PATTERN) id!: string;
}

export class ListAdvisoriesQuery {
  @IsOptional() @IsIn(ADVISORY_KINDS) kind?: AdvisoryKind;
  @IsOptional() @IsIn(ADVISORY_STAGES) stage?: AdvisoryStage;
  @IsOptional() @Matches(COMPONENT_PATTERN) component?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

/** Evidence of a stage: who, when, on which test environment and version, notes and links. */
export class EvidenceDto {
  /** Who did it (staff id). */
  @Matches(ID_PATTERN) by!: string;
  /** When; default now. */
  @IsOptional() @IsISO8601({ strict: true }) at?: string;
  @IsOptional() @IsString() @MaxLength(10_000) notes?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsUrl({ require_tld: false }, { each: true }) links?: string[];
}

export class TestAdvisoryRequest extends EvidenceDto {
  /** The test environment the patch or workaround was applied to, e.g. `staging-2`. */
  @IsString() @IsNotEmpty() @MaxLength(200) environment!: string;
  /** The version of the application under test, e.g. `2.4.3-rc.1`. */
  @IsString() @IsNotEmpty() @MaxLength(100) version!: string;
}
export class TestAdvisoryCommand extends TestAdvisoryRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class ValidateAdvisoryRequest extends EvidenceDto {
  /** `failed` sends the advisory back to draft (the evidence stays). Default `passed`. */
  @IsOptional() @IsIn(['passed', 'failed']) result?: 'passed' | 'failed';
  @IsOptional() @IsString() @MaxLength(200) environment?: string;
  @IsOptional() @IsString() @MaxLength(100) version?: string;
}
export class ValidateAdvisoryCommand extends ValidateAdvisoryRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class ReleaseAdvisoryRequest extends EvidenceDto {
  /** The version distributed to customers. */
  @IsString() @IsNotEmpty() @MaxLength(100) version!: string;
}
export class ReleaseAdvisoryCommand extends ReleaseAdvisoryRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class AnnounceAdvisoryRequest {
  @IsOptional() @Matches(ID_PATTERN) by?: string;
}
export class AnnounceAdvisoryCommand extends AnnounceAdvisoryRequest {
  @Matches(ID_PATTERN) id!: string;
}

export interface EvidenceView {
  stage: AdvisoryStage | 'announced';
  by: string;
  at: string;
  environment?: string;
  version?: string;
  result?: 'passed' | 'failed';
  notes?: string;
  links?: string[];
}

export interface AdvisoryView {
  id: string;
  kind: AdvisoryKind;
  severity: AdvisorySeverity;
  title: string;
  summary: string;
  affects: { component: string; versions: string; fixedIn?: string }[];
  workaround?: string;
  cves: string[];
  links: string[];
  stage: AdvisoryStage;
  announcedAt?: string;
  releasedAt?: string;
  releasedVersion?: string;
  /** Every stage's evidence, oldest first. */
  evidence: EvidenceView[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

// ---- who is told ------------------------------------------------------------------------------

export class NoticeContactDto {
  @IsEmail() @MaxLength(320) email!: string;
  @IsOptional() @IsString() @MaxLength(200) name?: string;
  /** A security contact always receives security notices (opting out does not apply to them). */
  @IsOptional() @IsBoolean() security?: boolean;
  /** The contact's Intercom user id: notices are also posted to them as Intercom messages. */
  @IsOptional() @IsString() @MaxLength(100) intercomUserId?: string;
  /** false: receives no non-security notices (what the signed opt-out link sets). */
  @IsOptional() @IsBoolean() receivesNotices?: boolean;
}

/** Fields absent keep their value; `subscriptions: null` subscribes the account to every component. */
export class PutNoticePreferencesRequest {
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsArray() @ArrayMaxSize(500) @ArrayUnique() @Matches(COMPONENT_PATTERN, { each: true }) subscriptions?: string[] | null;
  /** Notification contacts beside (or overriding flags of) the account's contacts; replaces the stored list. */
  @IsOptional() @IsArray() @ArrayMaxSize(200) @ValidateNested({ each: true }) @Type(() => NoticeContactDto) contacts?: NoticeContactDto[];
}
export class PutNoticePreferencesCommand extends PutNoticePreferencesRequest {
  @Matches(ID_PATTERN) accountId!: string;
}

export class NoticePreferencesQuery {
  @Matches(ID_PATTERN) accountId!: string;
  /** Set by the gateway for an account-scoped caller: another account's preferences are not found. */
  @ScopeField() scope?: CallerScope;
}

export interface EffectiveContactView {
  email: string;
  name: string;
  security: boolean;
  receivesNotices: boolean;
  intercomUserId?: string;
  /** `account`: one of the account's contacts (intake); `preferences`: added here. */
  source: 'account' | 'preferences';
}

export interface NoticePreferencesView {
  accountId: string;
  /** Whether maintenance has seen the account (from intake's events) yet. */
  known: boolean;
  name?: string;
  timeZone?: string;
  /** null: every component. */
  subscriptions: string[] | null;
  contacts: EffectiveContactView[];
  /** Subscribe to it in a calendar app (signed; no API key needed). */
  calendarUrl: string;
  updatedAt?: string;
}

export class OptOutCommand {
  /** The signed token of an opt-out link. */
  @IsString() @IsNotEmpty() @MaxLength(1000) token!: string;
}

export interface OptOutResult {
  accountId: string;
  email: string;
  receivesNotices: false;
}

// ---- notices --------------------------------------------------------------------------------

export class ListNoticesQuery {
  @IsOptional() @Matches(ID_PATTERN) windowId?: string;
  @IsOptional() @Matches(ID_PATTERN) advisoryId?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export class NoticeIdQuery {
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:|-]{0,199}$/) id!: string;
}

export class ListNoticeDeliveriesQuery extends NoticeIdQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(300) cursor?: string;
  /** Set by the gateway for an account-scoped caller: only its account's deliveries are listed. */
  @ScopeField() scope?: CallerScope;
}

export interface NoticeView {
  id: string;
  kind: NoticeKind;
  security: boolean;
  windowId?: string;
  advisoryId?: string;
  components: string[];
  state: 'pending' | 'fanning_out' | 'done';
  /** Accounts told, and deliveries queued (one per contact and channel). */
  accounts: number;
  deliveries: number;
  createdAt: string;
  completedAt?: string;
}

export interface NoticeDeliveryView {
  id: string;
  noticeId: string;
  accountId?: string;
  channel: 'email' | 'intercom';
  to: string;
  subject: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  sentAt?: string;
  lastError?: string;
  createdAt: string;
}

// ---- event payloads -------------------------------------------------------------------------

export class WindowPayload {
  @Matches(ID_PATTERN) windowId!: string;
  @IsString() title!: string;
  @IsArray() @IsString({ each: true }) components!: string[];
  @IsIn(WINDOW_IMPACTS) impact!: WindowImpact;
  @IsISO8601() plannedStart!: string;
  @IsISO8601() plannedEnd!: string;
  @IsInt() @Min(1) version!: number;
  @IsOptional() @Matches(ID_PATTERN) seriesId?: string;
  @IsISO8601() at!: string;
}

export class WindowRescheduledPayload extends WindowPayload {
  @IsISO8601() previousStart!: string;
  @IsISO8601() previousEnd!: string;
}

export class WindowReminderPayload {
  @Matches(ID_PATTERN) windowId!: string;
  /** `<windowId>:<offset>:<version>`. */
  @IsString() reminderId!: string;
  @Matches(OFFSET_PATTERN) offset!: string;
  @IsInt() @Min(1) version!: number;
  @IsISO8601() plannedStart!: string;
  @IsISO8601() at!: string;
}

export class WindowStartedPayload {
  @Matches(ID_PATTERN) windowId!: string;
  @IsArray() @IsString({ each: true }) components!: string[];
  @IsISO8601() actualStart!: string;
  @IsISO8601() at!: string;
}

/** A window is over: availability excludes downtime of its components between actualStart and actualEnd. */
export class WindowCompletedPayload {
  @Matches(ID_PATTERN) windowId!: string;
  @IsArray() @IsString({ each: true }) components!: string[];
  @IsIn(WINDOW_IMPACTS) impact!: WindowImpact;
  @IsISO8601() plannedStart!: string;
  @IsISO8601() plannedEnd!: string;
  @IsISO8601() actualStart!: string;
  @IsISO8601() actualEnd!: string;
  @IsISO8601() at!: string;
}

export class WindowCancelledPayload {
  @Matches(ID_PATTERN) windowId!: string;
  @IsArray() @IsString({ each: true }) components!: string[];
  @IsISO8601() plannedStart!: string;
  @IsISO8601() plannedEnd!: string;
  @IsOptional() @IsString() reason?: string;
  @IsISO8601() at!: string;
}

export class AdvisoryStageChangedPayload {
  @Matches(ID_PATTERN) advisoryId!: string;
  @IsIn(ADVISORY_KINDS) kind!: AdvisoryKind;
  @IsIn(ADVISORY_SEVERITIES) severity!: AdvisorySeverity;
  @IsIn(ADVISORY_STAGES) from!: AdvisoryStage;
  @IsIn(ADVISORY_STAGES) to!: AdvisoryStage;
  @Matches(ID_PATTERN) by!: string;
  @IsOptional() @IsString() environment?: string;
  @IsOptional() @IsString() version?: string;
  @IsOptional() @IsIn(['passed', 'failed']) result?: 'passed' | 'failed';
  @IsISO8601() at!: string;
}

export class AdvisoryNoticePayload {
  @Matches(ID_PATTERN) advisoryId!: string;
  @IsIn(ADVISORY_KINDS) kind!: AdvisoryKind;
  @IsIn(ADVISORY_SEVERITIES) severity!: AdvisorySeverity;
  @IsString() title!: string;
  @IsArray() @IsString({ each: true }) components!: string[];
  @IsOptional() @IsString() version?: string;
  @IsISO8601() at!: string;
}

// ---- subjects and maps ----------------------------------------------------------------------

/** Events. DO NOT RENAME a published subject. */
export const MaintenanceEvents = {
  MaintenanceScheduled: 'sladesk.evt.maintenance.scheduled.v1',
  MaintenanceRescheduled: 'sladesk.evt.maintenance.rescheduled.v1',
  MaintenanceReminder: 'sladesk.evt.maintenance.reminder.v1',
  MaintenanceStarted: 'sladesk.evt.maintenance.started.v1',
  MaintenanceCompleted: 'sladesk.evt.maintenance.completed.v1',
  MaintenanceCancelled: 'sladesk.evt.maintenance.cancelled.v1',
  AdvisoryStageChanged: 'sladesk.evt.advisory.stage-changed.v1',
  AdvisoryAnnounced: 'sladesk.evt.advisory.announced.v1',
  AdvisoryReleased: 'sladesk.evt.advisory.released.v1',
} as const;

/** Requests the maintenance service answers. DO NOT RENAME. */
export const MaintenanceRpc = {
  WindowCreate: 'sladesk.rpc.maintenance.window.create.v1',
  WindowGet: 'sladesk.rpc.maintenance.window.get.v1',
  WindowList: 'sladesk.rpc.maintenance.window.list.v1',
  WindowStart: 'sladesk.rpc.maintenance.window.start.v1',
  WindowComplete: 'sladesk.rpc.maintenance.window.complete.v1',
  WindowCancel: 'sladesk.rpc.maintenance.window.cancel.v1',
  WindowReschedule: 'sladesk.rpc.maintenance.window.reschedule.v1',
  WindowCalendar: 'sladesk.rpc.maintenance.window.calendar.v1',
  AdvisoryCreate: 'sladesk.rpc.maintenance.advisory.create.v1',
  AdvisoryGet: 'sladesk.rpc.maintenance.advisory.get.v1',
  AdvisoryList: 'sladesk.rpc.maintenance.advisory.list.v1',
  AdvisoryTest: 'sladesk.rpc.maintenance.advisory.test.v1',
  AdvisoryValidate: 'sladesk.rpc.maintenance.advisory.validate.v1',
  AdvisoryRelease: 'sladesk.rpc.maintenance.advisory.release.v1',
  AdvisoryAnnounce: 'sladesk.rpc.maintenance.advisory.announce.v1',
  NoticePreferencesPut: 'sladesk.rpc.maintenance.notice-preferences.put.v1',
  NoticePreferencesGet: 'sladesk.rpc.maintenance.notice-preferences.get.v1',
  NoticeOptOut: 'sladesk.rpc.maintenance.notice-opt-out.apply.v1',
  NoticeList: 'sladesk.rpc.maintenance.notice.list.v1',
  NoticeGet: 'sladesk.rpc.maintenance.notice.get.v1',
  NoticeDeliveries: 'sladesk.rpc.maintenance.notice.deliveries.v1',
} as const;

export interface MaintenanceEventMap {
  [MaintenanceEvents.MaintenanceScheduled]: WindowPayload;
  [MaintenanceEvents.MaintenanceRescheduled]: WindowRescheduledPayload;
  [MaintenanceEvents.MaintenanceReminder]: WindowReminderPayload;
  [MaintenanceEvents.MaintenanceStarted]: WindowStartedPayload;
  [MaintenanceEvents.MaintenanceCompleted]: WindowCompletedPayload;
  [MaintenanceEvents.MaintenanceCancelled]: WindowCancelledPayload;
  [MaintenanceEvents.AdvisoryStageChanged]: AdvisoryStageChangedPayload;
  [MaintenanceEvents.AdvisoryAnnounced]: AdvisoryNoticePayload;
  [MaintenanceEvents.AdvisoryReleased]: AdvisoryNoticePayload;
}

export const MaintenanceEventClasses = {
  [MaintenanceEvents.MaintenanceScheduled]: WindowPayload,
  [MaintenanceEvents.MaintenanceRescheduled]: WindowRescheduledPayload,
  [MaintenanceEvents.MaintenanceReminder]: WindowReminderPayload,
  [MaintenanceEvents.MaintenanceStarted]: WindowStartedPayload,
  [MaintenanceEvents.MaintenanceCompleted]: WindowCompletedPayload,
  [MaintenanceEvents.MaintenanceCancelled]: WindowCancelledPayload,
  [MaintenanceEvents.AdvisoryStageChanged]: AdvisoryStageChangedPayload,
  [MaintenanceEvents.AdvisoryAnnounced]: AdvisoryNoticePayload,
  [MaintenanceEvents.AdvisoryReleased]: AdvisoryNoticePayload,
};

export interface MaintenanceRpcMap {
  [MaintenanceRpc.WindowCreate]: { request: CreateWindowCommand; response: CreatedWindowView };
  [MaintenanceRpc.WindowGet]: { request: WindowIdQuery; response: WindowView };
  [MaintenanceRpc.WindowList]: { request: ListWindowsQuery; response: { items: WindowView[]; nextCursor?: string } };
  [MaintenanceRpc.WindowStart]: { request: StartWindowCommand; response: WindowView };
  [MaintenanceRpc.WindowComplete]: { request: CompleteWindowCommand; response: WindowView };
  [MaintenanceRpc.WindowCancel]: { request: CancelWindowCommand; response: WindowView };
  [MaintenanceRpc.WindowReschedule]: { request: RescheduleWindowCommand; response: WindowView };
  [MaintenanceRpc.WindowCalendar]: { request: CalendarFeedQuery; response: CalendarFeed };
  [MaintenanceRpc.AdvisoryCreate]: { request: CreateAdvisoryCommand; response: AdvisoryView };
  [MaintenanceRpc.AdvisoryGet]: { request: AdvisoryIdQuery; response: AdvisoryView };
  [MaintenanceRpc.AdvisoryList]: { request: ListAdvisoriesQuery; response: { items: AdvisoryView[]; nextCursor?: string } };
  [MaintenanceRpc.AdvisoryTest]: { request: TestAdvisoryCommand; response: AdvisoryView };
  [MaintenanceRpc.AdvisoryValidate]: { request: ValidateAdvisoryCommand; response: AdvisoryView };
  [MaintenanceRpc.AdvisoryRelease]: { request: ReleaseAdvisoryCommand; response: AdvisoryView };
  [MaintenanceRpc.AdvisoryAnnounce]: { request: AnnounceAdvisoryCommand; response: AdvisoryView };
  [MaintenanceRpc.NoticePreferencesPut]: { request: PutNoticePreferencesCommand; response: NoticePreferencesView };
  [MaintenanceRpc.NoticePreferencesGet]: { request: NoticePreferencesQuery; response: NoticePreferencesView };
  [MaintenanceRpc.NoticeOptOut]: { request: OptOutCommand; response: OptOutResult };
  [MaintenanceRpc.NoticeList]: { request: ListNoticesQuery; response: { items: NoticeView[]; nextCursor?: string } };
  [MaintenanceRpc.NoticeGet]: { request: NoticeIdQuery; response: NoticeView };
  [MaintenanceRpc.NoticeDeliveries]: { request: ListNoticeDeliveriesQuery; response: { items: NoticeDeliveryView[]; nextCursor?: string } };
}

export const MaintenanceRpcClasses = {
  [MaintenanceRpc.WindowCreate]: CreateWindowCommand,
  [MaintenanceRpc.WindowGet]: WindowIdQuery,
  [MaintenanceRpc.WindowList]: ListWindowsQuery,
  [MaintenanceRpc.WindowStart]: StartWindowCommand,
  [MaintenanceRpc.WindowComplete]: CompleteWindowCommand,
  [MaintenanceRpc.WindowCancel]: CancelWindowCommand,
  [MaintenanceRpc.WindowReschedule]: RescheduleWindowCommand,
  [MaintenanceRpc.WindowCalendar]: CalendarFeedQuery,
  [MaintenanceRpc.AdvisoryCreate]: CreateAdvisoryCommand,
  [MaintenanceRpc.AdvisoryGet]: AdvisoryIdQuery,
  [MaintenanceRpc.AdvisoryList]: ListAdvisoriesQuery,
  [MaintenanceRpc.AdvisoryTest]: TestAdvisoryCommand,
  [MaintenanceRpc.AdvisoryValidate]: ValidateAdvisoryCommand,
  [MaintenanceRpc.AdvisoryRelease]: ReleaseAdvisoryCommand,
  [MaintenanceRpc.AdvisoryAnnounce]: AnnounceAdvisoryCommand,
  [MaintenanceRpc.NoticePreferencesPut]: PutNoticePreferencesCommand,
  [MaintenanceRpc.NoticePreferencesGet]: NoticePreferencesQuery,
  [MaintenanceRpc.NoticeOptOut]: OptOutCommand,
  [MaintenanceRpc.NoticeList]: ListNoticesQuery,
  [MaintenanceRpc.NoticeGet]: NoticeIdQuery,
  [MaintenanceRpc.NoticeDeliveries]: ListNoticeDeliveriesQuery,
};
