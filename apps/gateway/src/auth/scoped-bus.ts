import { Rpc, RpcSubject } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { currentPrincipal } from './principal';

/** Requests whose contract takes the caller's `scope`: the service itself refuses another account's objects. */
export const SCOPED_REQUESTS: ReadonlySet<RpcSubject> = new Set<RpcSubject>([
  Rpc.CaseCreate,
  Rpc.CaseGet,
  Rpc.CaseTimeline,
  Rpc.CaseRespond,
  Rpc.CaseCustomerReply,
  Rpc.CaseAddAction,
  Rpc.CaseChangeStatus,
  Rpc.CaseResolve,
  Rpc.CaseReopen,
  Rpc.CaseReclassify,
  Rpc.CaseAssign,
  Rpc.CaseVerifyPage,
  Rpc.ContactErase,
  Rpc.CaseSlaGet,
  Rpc.EscalationGet,
  Rpc.EscalationAck,
  Rpc.ExportGet,
  Rpc.ExportChunk,
  Rpc.NoticePreferencesGet,
  Rpc.NoticeDeliveries,
]);

/** Requests whose `accountId` filter is the scope (lists). */
const ACCOUNT_FILTERED: ReadonlySet<RpcSubject> = new Set<RpcSubject>([Rpc.CaseList, Rpc.EscalationList, Rpc.AvailabilityGet, Rpc.ReportRender, Rpc.ExportCreate]);

/**
 * Makes the gateway's bus carry the caller's account scope on every request it sends while serving an
 * account-scoped caller, whichever controller sends it: `scope` on the subjects whose contract takes
 * one, and the forced `accountId` on account-filtered lists (the authorization guard forced it in
 * the query already; this is the second lock). Staff callers send requests unchanged.
 */
export function carryCallerScope(bus: NatsBus): NatsBus {
  const request = bus.request.bind(bus);
  bus.request = ((subject: RpcSubject, body: object, options?: { timeoutMs?: number; correlationId?: string }) => {
    const accountId = currentPrincipal()?.accountId;
    if (accountId && SCOPED_REQUESTS.has(subject)) body = { ...body, scope: { accountId } };
    else if (accountId && ACCOUNT_FILTERED.has(subject)) body = { ...body, accountId };
    return request(subject as never, body as never, options);
  }) as NatsBus['request'];
  return bus;
}
