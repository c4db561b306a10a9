import { CaseCounts, CaseCountsQuery, CaseOpenedPayload, CaseView, CreateCaseCommand, GetCaseQuery, ListCasesQuery, Page } from './cases';
import { Events, Rpc } from './subjects';

/** Subject → payload of every event. Publishing the wrong payload on a subject does not compile. */
export interface EventMap {
  [Events.CaseOpened]: CaseOpenedPayload;
}

/** Subject → request and response of every request/reply subject. */
export interface RpcMap {
  [Rpc.CaseCreate]: { request: CreateCaseCommand; response: CaseView };
  [Rpc.CaseGet]: { request: GetCaseQuery; response: CaseView };
  [Rpc.CaseList]: { request: ListCasesQuery; response: Page<CaseView> };
  [Rpc.ReportingCaseCounts]: { request: CaseCountsQuery; response: CaseCounts };
}

type Class<T> = new () => T;

/** Runtime classes used to validate what arrives from the wire, per subject. */
export const EventPayloadClasses: { [S in keyof EventMap]: Class<EventMap[S]> } = {
  [Events.CaseOpened]: CaseOpenedPayload,
};

export const RpcRequestClasses: { [S in keyof RpcMap]: Class<RpcMap[S]['request']> } = {
  [Rpc.CaseCreate]: CreateCaseCommand,
  [Rpc.CaseGet]: GetCaseQuery,
  [Rpc.CaseList]: ListCasesQuery,
  [Rpc.ReportingCaseCounts]: CaseCountsQuery,
};
