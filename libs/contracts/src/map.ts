import {
  AvailabilityEventClasses,
  AvailabilityEventMap,
  AvailabilityEvents,
  AvailabilityRpc,
  AvailabilityRpcClasses,
  AvailabilityRpcMap,
} from './availability';
import { AccountEventClasses, AccountEventMap, AccountEvents, AccountRpc, AccountRpcClasses, AccountRpcMap } from './accounts';
import { CaseEventClasses, CaseEventMap, CaseEvents, CaseRpc, CaseRpcClasses, CaseRpcMap } from './cases';
import {
  EscalationEventClasses,
  EscalationEventMap,
  EscalationEvents,
  EscalationRpc,
  EscalationRpcClasses,
  EscalationRpcMap,
} from './escalation';
import {
  MaintenanceEventClasses,
  MaintenanceEventMap,
  MaintenanceEvents,
  MaintenanceRpc,
  MaintenanceRpcClasses,
  MaintenanceRpcMap,
} from './maintenance';
import { OutboundEventClasses, OutboundEventMap, OutboundEvents } from './outbound';
import { ReportingEventClasses, ReportingEventMap, ReportingEvents, ReportingRpc, ReportingRpcClasses, ReportingRpcMap } from './reporting';
import { SecurityEventClasses, SecurityEventMap, SecurityEvents, SecurityRpc, SecurityRpcClasses, SecurityRpcMap } from './security';
import { SlaEventClasses, SlaEventMap, SlaEvents, SlaRpc, SlaRpcClasses, SlaRpcMap } from './sla';

/** Every event subject (`sladesk.evt.<context>.<event>.v<N>`), from all contexts. */
export const Events = { ...CaseEvents, ...AccountEvents, ...SlaEvents, ...EscalationEvents, ...MaintenanceEvents, ...OutboundEvents, ...ReportingEvents, ...SecurityEvents, ...AvailabilityEvents } as const;
/** Every request/reply subject (`sladesk.rpc.<service>.<resource>.<verb>.v<N>`), from all contexts. */
export const Rpc = { ...CaseRpc, ...AccountRpc, ...SlaRpc, ...EscalationRpc, ...MaintenanceRpc, ...ReportingRpc, ...SecurityRpc, ...AvailabilityRpc } as const;

/** Subject → payload of every event. Publishing the wrong payload on a subject does not compile. */
export interface EventMap extends CaseEventMap, AccountEventMap, SlaEventMap, EscalationEventMap, MaintenanceEventMap, ReportingEventMap, OutboundEventMap, SecurityEventMap, AvailabilityEventMap {}
/** Subject → request and response of every request/reply subject. */
export interface RpcMap extends CaseRpcMap, AccountRpcMap, SlaRpcMap, EscalationRpcMap, MaintenanceRpcMap, ReportingRpcMap, SecurityRpcMap, AvailabilityRpcMap {}

export type EventSubject = keyof EventMap;
export type RpcSubject = keyof RpcMap;

type Class<T> = new () => T;

/** Runtime classes used to validate what arrives from the wire, per subject. */
export const EventPayloadClasses: { [S in EventSubject]: Class<EventMap[S]> } = {
  ...CaseEventClasses,
  ...AccountEventClasses,
  ...SlaEventClasses,
  ...EscalationEventClasses,
  ...MaintenanceEventClasses,
  ...ReportingEventClasses,
  ...OutboundEventClasses,
  ...SecurityEventClasses,
  ...AvailabilityEventClasses,
};

export const RpcRequestClasses: { [S in RpcSubject]: Class<RpcMap[S]['request']> } = {
  ...CaseRpcClasses,
  ...AccountRpcClasses,
  ...SlaRpcClasses,
  ...EscalationRpcClasses,
  ...MaintenanceRpcClasses,
  ...ReportingRpcClasses,
  ...SecurityRpcClasses,
  ...AvailabilityRpcClasses,
};
