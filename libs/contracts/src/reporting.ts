// Contracts of the reporting context: read models kept from events, reports in several formats,
// big exports as jobs, the monthly executive digest. Owned by the reporting service.
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Min } from 'class-validator';
import { CallerScope, Channel, ID_PATTERN, ScopeField, Severity } from './cases';

/** Requests reporting answers. DO NOT RENAME. */
export const ReportingRpc = {
  ReportingCaseCounts: 'sladesk.rpc.reporting.case-counts.get.v1',
  /** Renders a report: the file itself when it is small, else the export job that writes it. */
  ReportRender: 'sladesk.rpc.reporting.report.render.v1',
  ExportCreate: 'sladesk.rpc.reporting.export.create.v1',
  ExportGet: 'sladesk.rpc.reporting.export.get.v1',
  /** One stored chunk of a finished export (base64), so a file of any size crosses NATS piece by piece. */
  ExportChunk: 'sladesk.rpc.reporting.export.chunk.v1',
  DigestList: 'sladesk.rpc.reporting.digest.list.v1',
} as const;

/** Events. DO NOT RENAME a published subject. */
export const ReportingEvents = {
  /** An export (a job, or the monthly digest) finished and can be downloaded. */
  ReportReady: 'sladesk.evt.report.ready.v1',
} as const;

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

// ---- reports ----------------------------------------------------------------------------------

export const REPORT_KINDS = ['support-record', 'sla-compliance', 'escalations', 'availability', 'notices'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
/** `zip` (the evidence pack) exists for the support record only. */
export const REPORT_FORMATS = ['json', 'csv', 'xlsx', 'pdf', 'zip'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value);

/**
 * The period and scope of a report. Either `month`, or `from` and/or `to` (inclusive UTC days); with
 * none, the current month. Periods are read from day and month buckets, so at most 36 months.
 */
export class ReportQuery {
  @IsOptional() @Transform(lower) @IsIn(REPORT_FORMATS) format?: ReportFormat;
  @IsOptional() @Matches(MONTH, { message: 'month must be YYYY-MM' }) month?: string;
  @IsOptional() @Matches(DAY, { message: 'from must be a day YYYY-MM-DD' }) from?: string;
  @IsOptional() @Matches(DAY, { message: 'to must be a day YYYY-MM-DD' }) to?: string;
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
}

export class RenderReportCommand extends ReportQuery {
  @IsIn(REPORT_KINDS) report!: ReportKind;
}

/** `POST /v1/exports`: a report written in the background, whatever its size. */
export class CreateExportRequest extends ReportQuery {
  @IsIn(REPORT_KINDS) report!: ReportKind;
}

export class GetExportQuery {
  @Matches(ID_PATTERN) id!: string;
  /** Set by the gateway for an account-scoped caller: another account's export (or one across accounts) is not found. */
  @ScopeField() scope?: CallerScope;
}

export class ExportChunkQuery {
  @Matches(ID_PATTERN) id!: string;
  @IsInt() @Min(0) n!: number;
  /** Set by the gateway for an account-scoped caller: another account's export (or one across accounts) is not found. */
  @ScopeField() scope?: CallerScope;
}

export class ListDigestsQuery {
  @IsOptional() @Matches(MONTH) month?: string;
}

export const EXPORT_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type ExportState = (typeof EXPORT_STATES)[number];

/** The resolved period of a report: inclusive UTC days. */
export interface ReportPeriod {
  from: string;
  to: string;
  /** Set when the period is exactly one calendar month. */
  month?: string;
}

export interface ExportJobView {
  id: string;
  report: ReportKind;
  format: ReportFormat;
  period: ReportPeriod;
  accountId?: string;
  state: ExportState;
  /** Rows written so far (cases for the support record, notifications for notices …). */
  rows: number;
  /** Rows expected, from the read model's counters (an estimate until `done`). */
  totalRows: number;
  percent: number;
  contentType: string;
  filename: string;
  /** Once `done`: size, number of stored chunks, checksum of the whole file. */
  bytes?: number;
  chunks?: number;
  sha256?: string;
  error?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Where to fetch the file once `done`. */
  downloadPath: string;
}

export interface ExportChunk {
  n: number;
  /** base64 */
  data: string;
  last: boolean;
}

/** What rendering a report answers: the file (small reports), or the export job writing it. */
export type RenderedReport =
  | { kind: 'file'; contentType: string; filename: string; rows: number; bytes: number; data: string }
  | { kind: 'job'; job: ExportJobView };

export interface DigestView {
  month: string;
  state: 'claimed' | 'generated' | 'mailed' | 'failed';
  exportId?: string;
  recipients: string[];
  generatedAt?: string;
  mailedAt?: string;
  instance: string;
}

// ---- events -----------------------------------------------------------------------------------

export class ReportReadyPayload {
  @Matches(ID_PATTERN) exportId!: string;
  @IsIn(REPORT_KINDS) report!: ReportKind;
  @IsIn(REPORT_FORMATS) format!: ReportFormat;
  @Matches(DAY) from!: string;
  @Matches(DAY) to!: string;
  @IsOptional() @Matches(ID_PATTERN) accountId?: string;
  /** `digest` for the monthly executive digest, `export` for a requested export. */
  @IsIn(['export', 'digest']) purpose!: 'export' | 'digest';
  @IsInt() @Min(0) rows!: number;
  @IsInt() @Min(0) bytes!: number;
  @IsString() sha256!: string;
  @IsString() filename!: string;
  @IsString() downloadPath!: string;
  @IsISO8601() at!: string;
}

export interface ReportingEventMap {
  [ReportingEvents.ReportReady]: ReportReadyPayload;
}
export const ReportingEventClasses = {
  [ReportingEvents.ReportReady]: ReportReadyPayload,
};

export interface ReportingRpcMap {
  [ReportingRpc.ReportingCaseCounts]: { request: CaseCountsQuery; response: CaseCounts };
  [ReportingRpc.ReportRender]: { request: RenderReportCommand; response: RenderedReport };
  [ReportingRpc.ExportCreate]: { request: CreateExportRequest; response: ExportJobView };
  [ReportingRpc.ExportGet]: { request: GetExportQuery; response: ExportJobView };
  [ReportingRpc.ExportChunk]: { request: ExportChunkQuery; response: ExportChunk };
  [ReportingRpc.DigestList]: { request: ListDigestsQuery; response: DigestView[] };
}
export const ReportingRpcClasses = {
  [ReportingRpc.ReportingCaseCounts]: CaseCountsQuery,
  [ReportingRpc.ReportRender]: RenderReportCommand,
  [ReportingRpc.ExportCreate]: CreateExportRequest,
  [ReportingRpc.ExportGet]: GetExportQuery,
  [ReportingRpc.ExportChunk]: ExportChunkQuery,
  [ReportingRpc.DigestList]: ListDigestsQuery,
};
