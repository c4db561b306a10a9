// Contracts of availability: components, their objectives (availability % per calendar month, or
// restoration within a maximum duration), exclusions, probes, the monthly report and its events.
// Owned by the sla service (its `availability/` module); merged into the Sla maps in sla.ts.
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
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
import { ID_PATTERN } from './cases';

// ---- vocabulary -----------------------------------------------------------------------------

export const OBJECTIVE_KINDS = ['availability', 'restoration'] as const;
export type ObjectiveKind = (typeof OBJECTIVE_KINDS)[number];

/** A name of an exclusion kind or an incident cause: lower case, digits, `_`. */
export const KIND_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
/** The exclusion kinds the product knows by itself; any other name may be used too. */
export const EXCLUSION_KINDS = {
  /** Completed maintenance windows of the maintenance service (`maintenance.completed`), between actual start and end. */
  ScheduledMaintenance: 'scheduled_maintenance',
  /** Instance resize migrations (recorded with `POST /v1/exclusions`). */
  ResizeMigration: 'resize_migration',
} as const;
/** Causes an incident may name (others by name): `power` and `hvac` count as datacenter infrastructure downtime. */
export const INCIDENT_CAUSES = ['power', 'hvac', 'network', 'hardware', 'software', 'capacity', 'security', 'human_error', 'unknown'] as const;

/** `YYYY-MM`: a calendar month (in each objective's time zone). */
export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;
/** ISO-8601 duration of days, hours, minutes, seconds: `PT1H`, `PT30S`, `P1D`. */
export const AVAILABILITY_DURATION = /^P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

// ---- components -----------------------------------------------------------------------------

/** One tier of an availability credit table: below this availability, this much of the fee is credited. */
export class AvailabilityCreditTierDto {
  /** Strictly below this availability (%, up to 4 decimals); for a 100 % objective `100` means "any downtime". */
  @IsNumber({ maxDecimalPlaces: 4 }) @Min(0) @Max(100) belowPercent!: number;
  /** Credit in basis points of the monthly fee (1000 = 10 %). */
  @IsInt() @Min(0) @Max(10_000) creditBasisPoints!: number;
}

/** One tier of a restoration credit table: a restoration more than this many minutes late earns this credit. */
export class RestorationCreditTierDto {
  /** Minutes beyond the maximum duration (0: any lateness). */
  @IsInt() @Min(0) @Max(1_000_000) overMinutes!: number;
  @IsInt() @Min(0) @Max(10_000) creditBasisPoints!: number;
}

/** Incidents of another component counted against this objective (e.g. servers down for `power` → datacenter). */
export class CountsFromDto {
  @Matches(ID_PATTERN) componentId!: string;
  /** Only incidents with one of these causes; absent: every incident of that component. */
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(50) @ArrayUnique() @Matches(KIND_NAME_PATTERN, { each: true }) causes?: string[];
}

export class ObjectiveDto {
  /** Unique within the component, e.g. `monthly-availability`. */
  @Matches(ID_PATTERN) id!: string;
  @IsIn(OBJECTIVE_KINDS) kind!: ObjectiveKind;
  /** Where the objective comes from (the contract's clause, quoted or named). */
  @IsOptional() @IsString() @MaxLength(2000) clause?: string;
  /** availability: the target (%, up to 4 decimals), per calendar month in `timeZone`. */
  @ValidateIf((o: ObjectiveDto) => o.kind === 'availability') @IsNumber({ maxDecimalPlaces: 4 }) @Min(0) @Max(100) targetPercent?: number;
  /** restoration: the longest time from identification to restoration (ISO-8601, e.g. `PT1H`). */
  @ValidateIf((o: ObjectiveDto) => o.kind === 'restoration') @Matches(AVAILABILITY_DURATION) maxDuration?: string;
  /** The zone of the calendar month (availability) or of the month an incident counts in (restoration, by identification). Default UTC. */
  @IsOptional() @IsTimeZone() timeZone?: string;
  /** Exclusion kinds whose time does not count (`scheduled_maintenance`, `resize_migration`, or any other name). */
  @IsOptional() @IsArray() @ArrayMaxSize(20) @ArrayUnique() @Matches(KIND_NAME_PATTERN, { each: true }) excludes?: string[];
  /** Incidents of other components that count against this objective. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => CountsFromDto) countsFrom?: CountsFromDto[];
  /** How much a minute of degraded service counts (basis points of an outage minute; default 5000 = half). */
  @IsOptional() @IsInt() @Min(0) @Max(10_000) degradedWeightBasisPoints?: number;
  /** availability: tiers by availability. */
  @ValidateIf((o: ObjectiveDto) => o.kind === 'availability' && o.availabilityCredits !== undefined)
  @IsArray() @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => AvailabilityCreditTierDto)
  availabilityCredits?: AvailabilityCreditTierDto[];
  /** restoration: tiers by lateness, per late incident (summed, up to `creditCapBasisPoints`). */
  @ValidateIf((o: ObjectiveDto) => o.kind === 'restoration' && o.restorationCredits !== undefined)
  @IsArray() @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => RestorationCreditTierDto)
  restorationCredits?: RestorationCreditTierDto[];
  /** The most one month of this objective credits (default 10000 = 100 %). */
  @IsOptional() @IsInt() @Min(0) @Max(10_000) creditCapBasisPoints?: number;
}

export const PROBE_KINDS = ['http', 'tcp'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** A check run by the sla service against the component; it opens and restores the component's incident by itself. */
export class ProbeDto {
  @Matches(ID_PATTERN) id!: string;
  @IsIn(PROBE_KINDS) kind!: ProbeKind;
  /** http: the URL (http or https); a status in `expectStatus` (default 200–399) within the timeout is a success. */
  @ValidateIf((o: ProbeDto) => o.kind === 'http') @IsString() @Matches(/^https?:\/\/[^\s]{1,2000}$/) url?: string;
  @ValidateIf((o: ProbeDto) => o.kind === 'http') @IsOptional() @IsIn(['GET', 'HEAD']) method?: 'GET' | 'HEAD';
  @ValidateIf((o: ProbeDto) => o.kind === 'http') @IsOptional() @IsArray() @ArrayMaxSize(50) @IsInt({ each: true }) @Min(100, { each: true }) @Max(599, { each: true }) expectStatus?: number[];
  /** tcp: a connection accepted within the timeout is a success. */
  @ValidateIf((o: ProbeDto) => o.kind === 'tcp') @IsString() @Matches(/^[A-Za-z0-9.:\-[\]]{1,255}$/) host?: string;
  @ValidateIf((o: ProbeDto) => o.kind === 'tcp') @IsInt() @Min(1) @Max(65535) port?: number;
  /** How often (default `PT30S`, at least `PT1S`). */
  @IsOptional() @Matches(AVAILABILITY_DURATION) interval?: string;
  /** A check taking longer fails (default `PT5S`). */
  @IsOptional() @Matches(AVAILABILITY_DURATION) timeout?: string;
  /** Consecutive failures that open an incident (default 3). */
  @IsOptional() @IsInt() @Min(1) @Max(100) failuresToOpen?: number;
  /** Consecutive successes that restore it (default 2). */
  @IsOptional() @IsInt() @Min(1) @Max(100) successesToRestore?: number;
  /** Severity of the incident it opens (default high). */
  @IsOptional() @IsIn(['critical', 'high', 'normal', 'low']) severity?: 'critical' | 'high' | 'normal' | 'low';
}

/** What a component is made of (the body of `PUT /v1/components/{id}`; `POST` adds the id). */
export class ComponentFields {
  @IsString() @IsNotEmpty() @MaxLength(200) name!: string;
  /** What it is (`network`, `datacenter`, `server_hosts`, `database`, or any other name). */
  @Matches(KIND_NAME_PATTERN) kind!: string;
  @IsOptional() @IsString() @MaxLength(2000) description?: string;
  @IsArray() @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => ObjectiveDto) objectives!: ObjectiveDto[];
  /**
   * The accounts that use it (their credits are listed per account); absent or null: every account
   * (accounts are known from intake's `account.created`).
   */
  @IsOptional() @ValidateIf((_o, v) => v !== null) @IsArray() @ArrayMaxSize(10_000) @ArrayUnique() @Matches(ID_PATTERN, { each: true }) accountIds?: string[] | null;
  @IsOptional() @IsArray() @ArrayMaxSize(10) @ValidateNested({ each: true }) @Type(() => ProbeDto) probes?: ProbeDto[];
}

export class CreateComponentRequest extends ComponentFields {
  /** A component id, as maintenance windows name them (e.g. `database`). */
  @Matches(ID_PATTERN) id!: string;
}

/** `PUT /v1/components/{id}`: replaces name, objectives, accounts and probes (a new version; months are summarized again with it). */
export class UpdateComponentRequest extends ComponentFields {
  /** Optimistic concurrency: refuse (409 SLA.VERSION_CONFLICT) unless the component is still at this version. */
  @IsOptional() @IsInt() @Min(1) expectedVersion?: number;
}

export class UpdateComponentCommand extends UpdateComponentRequest {
  @Matches(ID_PATTERN) id!: string;
}

export class GetComponentQuery {
  @Matches(ID_PATTERN) id!: string;
}

export class ListComponentsQuery {
  @IsOptional() @Matches(KIND_NAME_PATTERN) kind?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}

export interface ObjectiveView {
  id: string;
  kind: ObjectiveKind;
  clause?: string;
  targetPercent?: number;
  maxDuration?: string;
  timeZone: string;
  excludes: string[];
  countsFrom: { componentId: string; causes?: string[] }[];
  degradedWeightBasisPoints: number;
  availabilityCredits?: { belowPercent: number; creditBasisPoints: number }[];
  restorationCredits?: { overMinutes: number; creditBasisPoints: number }[];
  creditCapBasisPoints: number;
}

export interface ProbeView {
  id: string;
  kind: ProbeKind;
  url?: string;
  method?: 'GET' | 'HEAD';
  expectStatus?: number[];
  host?: string;
  port?: number;
  interval: string;
  timeout: string;
  failuresToOpen: number;
  successesToRestore: number;
  severity: 'critical' | 'high' | 'normal' | 'low';
  /** The probe's last result and the incident it holds open, if any. */
  state?: { lastCheckAt?: string; lastOk?: boolean; consecutiveFailures: number; consecutiveSuccesses: number; incidentId?: string };
}

/** The error budget of one objective now (the current month in the objective's zone). */
export interface ErrorBudgetView {
  objectiveId: string;
  kind: ObjectiveKind;
  month: string;
  /** availability: the downtime the month allows, counted so far, and left (negative: overspent). */
  budgetMinutes?: number;
  downtimeMinutes?: number;
  budgetLeftMinutes?: number;
  availabilityPercent?: number;
  /** While an incident is open: when the budget runs out (or ran out) if it stays open. */
  exhaustsAt?: string;
  /** restoration: open incidents with their deadline. */
  openIncidents?: { incidentId: string; identifiedAt: string; deadline: string }[];
  met: boolean;
}

export interface ComponentView {
  id: string;
  name: string;
  kind: string;
  description: string;
  objectives: ObjectiveView[];
  accountIds: string[] | null;
  probes: ProbeView[];
  /** Seeded from the default contract. */
  builtin: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Only on `GET /v1/components/{id}`. */
  errorBudget?: ErrorBudgetView[];
}

// ---- exclusions -----------------------------------------------------------------------------

/** Time that does not count against objectives that exclude its kind (a resize migration, …). Re-posting an id corrects it. */
export class PutExclusionRequest {
  /** Optional id; generated when absent. The same id again replaces the exclusion (a correction). */
  @IsOptional() @Matches(ID_PATTERN) id?: string;
  @Matches(KIND_NAME_PATTERN) kind!: string;
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(100) @ArrayUnique() @Matches(ID_PATTERN, { each: true }) componentIds!: string[];
  @IsISO8601({ strict: true }) start!: string;
  @IsISO8601({ strict: true }) end!: string;
  @IsOptional() @IsString() @MaxLength(2000) reason?: string;
}

export class GetExclusionQuery {
  @Matches(ID_PATTERN) id!: string;
}

export interface ExclusionView {
  id: string;
  kind: string;
  componentIds: string[];
  start: string;
  end: string;
  reason?: string;
  /** `api`, or `maintenance` for completed maintenance windows. */
  source: 'api' | 'maintenance';
  recordedAt: string;
}

// ---- the monthly report ---------------------------------------------------------------------

export class AvailabilityQuery {
  @Matches(MONTH_PATTERN, { message: 'month must be YYYY-MM' }) month!: string;
  @IsOptional() @Matches(ID_PATTERN) componentId?: string;
  /** Only the components this account uses, and only its credits. */
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  /** `incidents`: every incident of every component listed (one component: always listed). */
  @IsOptional() @IsIn(['incidents']) include?: 'incidents';
}

export interface IncidentInMonthView {
  incidentId: string;
  title?: string;
  impact: 'outage' | 'degraded';
  cause?: string;
  /** Counted because it affects this component (`direct`) or through a `countsFrom` rule (`via` names the component). */
  via?: string;
  impactStart: string;
  identifiedAt: string;
  restoredAt?: string;
  /** Counted downtime inside this month (weighted for degraded, exclusions removed; overlaps with other incidents not merged). */
  downtimeMinutes: number;
  /** From identification to restoration (or now, while open), excluded time removed. */
  restorationMinutes: number;
  /** Per restoration objective: its maximum and whether this incident met it. */
  restoration?: { objectiveId: string; maxMinutes: number; met: boolean; lateMinutes: number; creditBasisPoints: number }[];
}

export interface ObjectiveMonthView {
  objectiveId: string;
  kind: ObjectiveKind;
  clause?: string;
  timeZone: string;
  periodStart: string;
  periodEnd: string;
  /** The month is over in the objective's zone: the figures are final (until a correction). */
  final: boolean;
  periodMinutes: number;
  excludedMinutes: number;
  /** availability */
  targetPercent?: number;
  downtimeMinutes?: number;
  availabilityPercent?: number;
  budgetMinutes?: number;
  budgetLeftMinutes?: number;
  /** restoration */
  maxMinutes?: number;
  incidentsCounted: number;
  /** restoration: incidents identified this month restored later than the maximum (or still open past it). */
  late?: number;
  longestRestorationMinutes?: number;
  met: boolean;
  creditBasisPoints: number;
}

export interface ComponentMonthView {
  componentId: string;
  name: string;
  kind: string;
  objectives: ObjectiveMonthView[];
  incidentsCounted: number;
  /** Every incident counted (with `componentId`, `include=incidents`; otherwise only the late ones). */
  incidents: IncidentInMonthView[];
  /** The component's credit: the largest of its objectives' (basis points). */
  creditBasisPoints: number;
}

export interface AccountCreditsView {
  accountId: string;
  /** Component id → credit in basis points, for the components this account uses whose credit is not zero. */
  credits: Record<string, number>;
  /** The largest of them (0 when none). */
  maxCreditBasisPoints: number;
  componentsUsed: number;
}

export interface AvailabilityReportView {
  month: string;
  generatedAt: string;
  /** How figures are counted. */
  method: string;
  components: ComponentMonthView[];
  accounts: AccountCreditsView[];
}

/** Probe results (the evidence) of a component, at most 48 hours at once. */
export class ProbeResultsQuery {
  @IsISO8601({ strict: true }) from!: string;
  /** Default: 48 hours after `from`, or now. */
  @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @IsOptional() @Matches(ID_PATTERN) probeId?: string;
}

export class ProbeResultsCommand extends ProbeResultsQuery {
  @Matches(ID_PATTERN) id!: string;
}

export interface ProbeResultView {
  probeId: string;
  at: string;
  ok: boolean;
  ms: number;
  status?: number;
  error?: string;
}

// ---- events ---------------------------------------------------------------------------------

/** An objective is certainly missed: the month's budget ran out during an incident, or a restoration deadline passed unrestored. */
export class ObjectiveBreachedPayload {
  @Matches(ID_PATTERN) componentId!: string;
  @Matches(ID_PATTERN) objectiveId!: string;
  @IsIn(OBJECTIVE_KINDS) kind!: ObjectiveKind;
  @Matches(MONTH_PATTERN) month!: string;
  @IsString() timeZone!: string;
  /** The incident open when it happened (restoration: the late incident). */
  @IsOptional() @Matches(ID_PATTERN) incidentId?: string;
  @IsOptional() @IsNumber() targetPercent?: number;
  @IsOptional() @IsNumber() budgetMinutes?: number;
  @IsOptional() @IsNumber() maxMinutes?: number;
  @IsOptional() @IsString() clause?: string;
  /** The instant the budget ran out, or the restoration deadline. */
  @IsISO8601() at!: string;
}

/** A month's credit for one objective, when the month closes (and again, with a higher revision, after a correction). */
export class CreditComputedPayload {
  @Matches(ID_PATTERN) componentId!: string;
  @Matches(ID_PATTERN) objectiveId!: string;
  @IsIn(OBJECTIVE_KINDS) kind!: ObjectiveKind;
  @Matches(MONTH_PATTERN) month!: string;
  @IsOptional() @IsNumber() availabilityPercent?: number;
  @IsNumber() downtimeMinutes!: number;
  @IsNumber() excludedMinutes!: number;
  @IsIn([true, false]) met!: boolean;
  @IsInt() @Min(0) creditBasisPoints!: number;
  /** The accounts that use the component (null: every account). */
  @IsOptional() @IsArray() @IsString({ each: true }) accountIds?: string[] | null;
  /** Revision of the component's month the figures come from. */
  @IsInt() @Min(0) revision!: number;
  @IsISO8601() at!: string;
}

// ---- subjects and maps ----------------------------------------------------------------------

/** Events. DO NOT RENAME a published subject. */
export const AvailabilityEvents = {
  ObjectiveBreached: 'sladesk.evt.availability.objective-breached.v1',
  CreditComputed: 'sladesk.evt.availability.credit-computed.v1',
} as const;

/** Requests the sla service answers for availability. DO NOT RENAME. */
export const AvailabilityRpc = {
  ComponentCreate: 'sladesk.rpc.sla.component.create.v1',
  ComponentUpdate: 'sladesk.rpc.sla.component.update.v1',
  ComponentList: 'sladesk.rpc.sla.component.list.v1',
  ComponentGet: 'sladesk.rpc.sla.component.get.v1',
  ProbeResults: 'sladesk.rpc.sla.component.probe-results.v1',
  ExclusionPut: 'sladesk.rpc.sla.exclusion.put.v1',
  ExclusionGet: 'sladesk.rpc.sla.exclusion.get.v1',
  AvailabilityGet: 'sladesk.rpc.sla.availability.get.v1',
} as const;

export interface AvailabilityEventMap {
  [AvailabilityEvents.ObjectiveBreached]: ObjectiveBreachedPayload;
  [AvailabilityEvents.CreditComputed]: CreditComputedPayload;
}

export const AvailabilityEventClasses = {
  [AvailabilityEvents.ObjectiveBreached]: ObjectiveBreachedPayload,
  [AvailabilityEvents.CreditComputed]: CreditComputedPayload,
};

export interface AvailabilityRpcMap {
  [AvailabilityRpc.ComponentCreate]: { request: CreateComponentRequest; response: ComponentView };
  [AvailabilityRpc.ComponentUpdate]: { request: UpdateComponentCommand; response: ComponentView };
  [AvailabilityRpc.ComponentList]: { request: ListComponentsQuery; response: { items: ComponentView[]; nextCursor?: string } };
  [AvailabilityRpc.ComponentGet]: { request: GetComponentQuery; response: ComponentView };
  [AvailabilityRpc.ProbeResults]: { request: ProbeResultsCommand; response: { items: ProbeResultView[] } };
  [AvailabilityRpc.ExclusionPut]: { request: PutExclusionRequest; response: ExclusionView };
  [AvailabilityRpc.ExclusionGet]: { request: GetExclusionQuery; response: ExclusionView };
  [AvailabilityRpc.AvailabilityGet]: { request: AvailabilityQuery; response: AvailabilityReportView };
}

export const AvailabilityRpcClasses = {
  [AvailabilityRpc.ComponentCreate]: CreateComponentRequest,
  [AvailabilityRpc.ComponentUpdate]: UpdateComponentCommand,
  [AvailabilityRpc.ComponentList]: ListComponentsQuery,
  [AvailabilityRpc.ComponentGet]: GetComponentQuery,
  [AvailabilityRpc.ProbeResults]: ProbeResultsCommand,
  [AvailabilityRpc.ExclusionPut]: PutExclusionRequest,
  [AvailabilityRpc.ExclusionGet]: GetExclusionQuery,
  [AvailabilityRpc.AvailabilityGet]: AvailabilityQuery,
};
