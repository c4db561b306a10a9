// Contracts of the sla context: calendars, SLA policies, the per-case clocks and the events they emit.
// Merged into the global maps in map.ts.
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CallerScope, CASE_STATUSES, CaseStatus, ID_PATTERN, ScopeField, Severity, SEVERITIES } from './cases';

// ---- vocabulary -----------------------------------------------------------------------------

/** The clocks every case runs. `next_response` restarts after each customer reply (its `cycle` counts them). */
export const SLA_CLOCKS = ['first_response', 'next_response', 'resolution'] as const;
export type SlaClock = (typeof SLA_CLOCKS)[number];

/** Where a goal is defined in a policy, per severity. */
export const SLA_GOAL_KEYS = ['firstResponse', 'nextResponse', 'resolution'] as const;
export type SlaGoalKey = (typeof SLA_GOAL_KEYS)[number];

/**
 * When a goal's business time starts counting: at the clock's start (`received`), or at the start of the
 * next business day after it (`next_business_day`: "by 2 business hours after the start of the next business day").
 */
export const GOAL_ANCHORS = ['received', 'next_business_day'] as const;
export type GoalAnchor = (typeof GOAL_ANCHORS)[number];

/** Which of the policy's calendars times the goal: support hours, or emergency hours (24×7 by default). */
export const GOAL_HOURS = ['business', 'emergency'] as const;
export type GoalHours = (typeof GOAL_HOURS)[number];

/** ISO-8601 duration with days, hours, minutes or seconds (`PT4H`, `PT30S`, `P1DT2H`). */
export const ISO_DURATION = /^P(?!$)(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/;

// ---- subjects -------------------------------------------------------------------------------

/**
 * SLA clock events (the sla service publishes them through its outbox). DO NOT RENAME.
 * Every one names the case, its account, the clock (and its cycle), the severity, the goal with the
 * policy clause that set it, the due time and the business seconds elapsed / remaining / overdue.
 * Warning and breach are fired by durable timers; their eventId is `<timerId>:<version>`.
 */
export const SlaEvents = {
  /** A clock started (case opened; a customer reply that starts a next-response clock). */
  SlaClockStarted: 'sladesk.evt.sla.clock-started.v1',
  /** A running clock stopped counting (a pausing status such as waiting_on_customer). */
  SlaClockPaused: 'sladesk.evt.sla.clock-paused.v1',
  /** A paused or met clock counts again (customer reply, status change, reopened case). */
  SlaClockResumed: 'sladesk.evt.sla.clock-resumed.v1',
  /** The clock consumed the policy's warning threshold (default 75 %) of its goal. */
  SlaWarning: 'sladesk.evt.sla.warning.v1',
  /** The clock reached 100 % of its goal while still running. */
  SlaBreached: 'sladesk.evt.sla.breached.v1',
  /** The clock was fulfilled (a response, the resolution); `withinGoal` says whether in time. */
  SlaMet: 'sladesk.evt.sla.met.v1',
} as const;

/** Requests the sla service answers. DO NOT RENAME. */
export const SlaRpc = {
  CalendarCreate: 'sladesk.rpc.sla.calendar.create.v1',
  CalendarList: 'sladesk.rpc.sla.calendar.list.v1',
  CalendarGet: 'sladesk.rpc.sla.calendar.get.v1',
  CalendarUpdate: 'sladesk.rpc.sla.calendar.update.v1',
  SlaPolicyCreate: 'sladesk.rpc.sla.policy.create.v1',
  SlaPolicyList: 'sladesk.rpc.sla.policy.list.v1',
  SlaPolicyGet: 'sladesk.rpc.sla.policy.get.v1',
  SlaPolicyUpdate: 'sladesk.rpc.sla.policy.update.v1',
  CaseSlaGet: 'sladesk.rpc.sla.case-sla.get.v1',
} as const;

// ---- calendars ------------------------------------------------------------------------------

/**
 * A calendar: a business-time spec (see @sladesk/business-time: weekly windows whose start and end may be
 * in different zones, holidays, holiday rules such as `us-federal`, date exceptions, unions/intersections).
 */
export class CreateCalendarRequest {
  /** Optional readable id (e.g. `eu-office-hours`); generated when absent. */
  @IsOptional() @Matches(ID_PATTERN) id?: string;
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  /** The business-time CalendarSpec; validated by the engine (unknown zones, bad times… answer 400). */
  @IsObject() spec!: Record<string, unknown>;
}

/** `PUT /v1/calendars/{id}`: a new version of the calendar (the old ones are kept). */
export class UpdateCalendarRequest {
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  @IsObject() spec!: Record<string, unknown>;
  /** Optimistic concurrency: refuse (409) unless the calendar is still at this version. */
  @IsOptional() @IsInt() @Min(1) expectedVersion?: number;
}

export class UpdateCalendarCommand extends UpdateCalendarRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class GetCalendarQuery {
  @Matches(ID_PATTERN) id!: string;
}

export class ListCalendarsQuery {
  /** Only calendars whose name contains this text (case-insensitive). */
  @IsOptional() @IsString() @MaxLength(200) name?: string;
}

export interface CalendarView {
  id: string;
  name: string;
  /** Starts at 1; every update adds one. Cases record the version their goals were computed with. */
  version: number;
  spec: Record<string, unknown>;
  /** Seeded at first start (`default-contract`, `24x7`). */
  builtin: boolean;
  /** Whether the calendar is open right now, and when that changes next (absent for 24×7). */
  now: { at: string; open: boolean; nextOpen?: string; nextClose?: string };
  createdAt: string;
  updatedAt: string;
}

// ---- policies -------------------------------------------------------------------------------

export class SlaGoalSpecDto {
  /** Business time allowed, ISO-8601 (`PT4H`). With `from: next_business_day`, counted from that start. */
  @Matches(ISO_DURATION, { message: 'duration must be an ISO-8601 duration such as PT4H or PT30S' }) duration!: string;
  @IsOptional() @IsIn(GOAL_ANCHORS) from?: GoalAnchor;
  @IsOptional() @IsIn(GOAL_HOURS) hours?: GoalHours;
}

export class SeverityGoalsDto {
  @IsOptional() @ValidateNested() @Type(() => SlaGoalSpecDto) firstResponse?: SlaGoalSpecDto;
  @IsOptional() @ValidateNested() @Type(() => SlaGoalSpecDto) nextResponse?: SlaGoalSpecDto;
  @IsOptional() @ValidateNested() @Type(() => SlaGoalSpecDto) resolution?: SlaGoalSpecDto;
}

export class SlaGoalsDto {
  @IsOptional() @ValidateNested() @Type(() => SeverityGoalsDto) critical?: SeverityGoalsDto;
  @IsOptional() @ValidateNested() @Type(() => SeverityGoalsDto) high?: SeverityGoalsDto;
  @IsOptional() @ValidateNested() @Type(() => SeverityGoalsDto) normal?: SeverityGoalsDto;
  @IsOptional() @ValidateNested() @Type(() => SeverityGoalsDto) low?: SeverityGoalsDto;
}

/** Body of POST and PUT: goals left out are taken from the default contract. */
export class SlaPolicyBody {
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  /** Support hours. Default: `default-contract`. */
  @IsOptional() @Matches(ID_PATTERN) calendarId?: string;
  /** Hours of goals with `hours: emergency` (critical by default). Default: `24x7`. */
  @IsOptional() @Matches(ID_PATTERN) emergencyCalendarId?: string;
  /** Fraction of a goal at which a warning fires, 0.01–0.99. Default 0.75. */
  @IsOptional() @IsNumber() @Min(0.01) @Max(0.99) warningThreshold?: number;
  /** Statuses in which the clocks pause. Default: `waiting_on_customer`. */
  @IsOptional() @IsArray() @ArrayMaxSize(CASE_STATUSES.length) @IsIn(CASE_STATUSES, { each: true }) pauseStatuses?: CaseStatus[];
  @IsOptional() @ValidateNested() @Type(() => SlaGoalsDto) goals?: SlaGoalsDto;
}

export class CreateSlaPolicyRequest extends SlaPolicyBody {
  @IsOptional() @Matches(ID_PATTERN) id?: string;
  /** Makes this policy the override of one account (at most one per account); absent for the default. */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
}

export class UpdateSlaPolicyRequest extends SlaPolicyBody {
  @IsOptional() @IsInt() @Min(1) expectedVersion?: number;
}

export class UpdateSlaPolicyCommand extends UpdateSlaPolicyRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class GetSlaPolicyQuery {
  @Matches(ID_PATTERN) id!: string;
}

export class ListSlaPoliciesQuery {
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
}

export interface SlaGoalSpec {
  duration: string;
  from: GoalAnchor;
  hours: GoalHours;
}

export type SlaGoalTable = Record<Severity, Record<SlaGoalKey, SlaGoalSpec>>;

export interface SlaPolicyView {
  id: string;
  name: string;
  version: number;
  /** Present on an account's own policy. */
  accountId?: string;
  /** The policy every account without its own uses. */
  isDefault: boolean;
  calendarId: string;
  emergencyCalendarId: string;
  warningThreshold: number;
  pauseStatuses: CaseStatus[];
  goals: SlaGoalTable;
  createdAt: string;
  updatedAt: string;
}

// ---- a case's clocks ------------------------------------------------------------------------

export class GetCaseSlaQuery {
  @Matches(ID_PATTERN) caseId!: string;
  /** Set by the gateway for an account-scoped caller: another account's case is not found. */
  @ScopeField() scope?: CallerScope;
}

/** The goal a clock is timed against, with the clause of the policy that set it. */
export class SlaGoalDto {
  /** Human-readable origin, e.g. `policy default v1 · high · firstResponse: PT4H business hours`. */
  @IsString() @MaxLength(500) clause!: string;
  @Matches(ID_PATTERN) policyId!: string;
  @IsInt() @Min(1) policyVersion!: number;
  @Matches(ISO_DURATION) duration!: string;
  @IsIn(GOAL_ANCHORS) from!: GoalAnchor;
  @IsIn(GOAL_HOURS) hours!: GoalHours;
  @Matches(ID_PATTERN) calendarId!: string;
  @IsInt() @Min(1) calendarVersion!: number;
  /** The goal in business seconds from the clock's start (for `next_business_day`, the time to that start included). */
  @IsInt() @Min(0) businessSeconds!: number;
}

/** Common to every SLA clock event. */
export class SlaClockEventPayload {
  @Matches(ID_PATTERN) caseId!: string;
  @Matches(ID_PATTERN) accountId!: string;
  @IsIn(SLA_CLOCKS) clock!: SlaClock;
  /** 1 for first_response and resolution; the n-th next_response clock of the case. */
  @IsInt() @Min(1) cycle!: number;
  @IsIn(SEVERITIES) severity!: Severity;
  @ValidateNested() @Type(() => SlaGoalDto) goal!: SlaGoalDto;
  /** When the goal falls due; absent while the clock is paused with goal time left. */
  @IsOptional() @IsISO8601() dueAt?: string;
  /** When the change happened (a warning or breach: when it was due). */
  @IsISO8601() at!: string;
  @IsInt() @Min(0) elapsedBusinessSeconds!: number;
  @IsInt() @Min(0) remainingBusinessSeconds!: number;
  @IsInt() @Min(0) overdueBusinessSeconds!: number;
}

export class SlaClockStartedPayload extends SlaClockEventPayload {}

export class SlaClockPausedPayload extends SlaClockEventPayload {
  /** What paused it, e.g. `status:waiting_on_customer`. */
  @IsString() @MaxLength(100) reason!: string;
}

export class SlaClockResumedPayload extends SlaClockEventPayload {
  /** What resumed it, e.g. `customer_replied`, `status:open`, `reopened`. */
  @IsString() @MaxLength(100) reason!: string;
}

export class SlaWarningPayload extends SlaClockEventPayload {
  /** The policy's warning threshold, in percent of the goal. */
  @IsInt() @Min(1) @Max(99) thresholdPercent!: number;
}

export class SlaBreachedPayload extends SlaClockEventPayload {}

export class SlaMetPayload extends SlaClockEventPayload {
  @IsBoolean() withinGoal!: boolean;
  /** What fulfilled it: `responded` or `resolved`. */
  @IsString() @MaxLength(100) reason!: string;
}

export type SlaClockState = 'running' | 'paused' | 'met';

export interface SlaPauseView {
  from: string;
  /** Absent while the pause lasts. */
  to?: string;
  /** `paused` (a pausing status) or `resolved` (the resolution clock between resolution and reopening). */
  reason: 'paused' | 'resolved';
  businessSeconds: number;
}

export interface SlaClockView {
  clock: SlaClock;
  cycle: number;
  state: SlaClockState;
  goal: SlaGoalDto;
  startedAt: string;
  /** Null while paused with goal time left. */
  dueAt: string | null;
  warningAt: string | null;
  stoppedAt?: string;
  elapsedBusinessSeconds: number;
  remainingBusinessSeconds: number;
  overdueBusinessSeconds: number;
  /** Running past its due time, or met late. */
  breached: boolean;
  /** For a met clock. */
  withinGoal?: boolean;
  warnedAt?: string;
  breachedAt?: string;
  pauses: SlaPauseView[];
  /** Whether `evaluatedAt` is inside the hours of this clock's calendar. */
  insideCalendarHours: boolean;
}

export interface CaseSlaView {
  caseId: string;
  accountId: string;
  severity: Severity;
  status: CaseStatus;
  policy: { id: string; version: number; name?: string };
  evaluatedAt: string;
  /** Whether now is inside the policy's support hours. */
  insideBusinessHours: boolean;
  clocks: SlaClockView[];
}

// ---- maps -----------------------------------------------------------------------------------

export interface SlaEventMap {
  [SlaEvents.SlaClockStarted]: SlaClockStartedPayload;
  [SlaEvents.SlaClockPaused]: SlaClockPausedPayload;
  [SlaEvents.SlaClockResumed]: SlaClockResumedPayload;
  [SlaEvents.SlaWarning]: SlaWarningPayload;
  [SlaEvents.SlaBreached]: SlaBreachedPayload;
  [SlaEvents.SlaMet]: SlaMetPayload;
}

export const SlaEventClasses = {
  [SlaEvents.SlaClockStarted]: SlaClockStartedPayload,
  [SlaEvents.SlaClockPaused]: SlaClockPausedPayload,
  [SlaEvents.SlaClockResumed]: SlaClockResumedPayload,
  [SlaEvents.SlaWarning]: SlaWarningPayload,
  [SlaEvents.SlaBreached]: SlaBreachedPayload,
  [SlaEvents.SlaMet]: SlaMetPayload,
};

export interface SlaRpcMap {
  [SlaRpc.CalendarCreate]: { request: CreateCalendarRequest; response: CalendarView };
  [SlaRpc.CalendarList]: { request: ListCalendarsQuery; response: CalendarView[] };
  [SlaRpc.CalendarGet]: { request: GetCalendarQuery; response: CalendarView };
  [SlaRpc.CalendarUpdate]: { request: UpdateCalendarCommand; response: CalendarView };
  [SlaRpc.SlaPolicyCreate]: { request: CreateSlaPolicyRequest; response: SlaPolicyView };
  [SlaRpc.SlaPolicyList]: { request: ListSlaPoliciesQuery; response: SlaPolicyView[] };
  [SlaRpc.SlaPolicyGet]: { request: GetSlaPolicyQuery; response: SlaPolicyView };
  [SlaRpc.SlaPolicyUpdate]: { request: UpdateSlaPolicyCommand; response: SlaPolicyView };
  [SlaRpc.CaseSlaGet]: { request: GetCaseSlaQuery; response: CaseSlaView };
}

export const SlaRpcClasses = {
  [SlaRpc.CalendarCreate]: CreateCalendarRequest,
  [SlaRpc.CalendarList]: ListCalendarsQuery,
  [SlaRpc.CalendarGet]: GetCalendarQuery,
  [SlaRpc.CalendarUpdate]: UpdateCalendarCommand,
  [SlaRpc.SlaPolicyCreate]: CreateSlaPolicyRequest,
  [SlaRpc.SlaPolicyList]: ListSlaPoliciesQuery,
  [SlaRpc.SlaPolicyGet]: GetSlaPolicyQuery,
  [SlaRpc.SlaPolicyUpdate]: UpdateSlaPolicyCommand,
  [SlaRpc.CaseSlaGet]: GetCaseSlaQuery,
};
