import { IsOptional, Matches } from 'class-validator';
import { Channel, ID_PATTERN, Severity } from './cases';

/** Requests reporting answers. DO NOT RENAME. */
export const ReportingRpc = {
  ReportingCaseCounts: 'sladesk.rpc.reporting.case-counts.get.v1',
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

export type ReportingEventMap = Record<never, never>;
export const ReportingEventClasses = {};

export interface ReportingRpcMap {
  [ReportingRpc.ReportingCaseCounts]: { request: CaseCountsQuery; response: CaseCounts };
}
export const ReportingRpcClasses = {
  [ReportingRpc.ReportingCaseCounts]: CaseCountsQuery,
};
