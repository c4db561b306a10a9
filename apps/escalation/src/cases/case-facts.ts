import {
  CaseAssignedPayload,
  CaseOpenedPayload,
  CaseReclassifiedPayload,
  CaseReopenedPayload,
  CaseResolvedPayload,
  CaseStatus,
  CaseStatusChangedPayload,
  Category,
  SlaClockEventPayload,
  Channel,
  EscalationLevel,
  EventEnvelope,
  Severity,
} from '@sladesk/contracts';

/**
 * Where a fact stands in a case's history: comparable as a string, later is greater. Case facts are
 * ordered by when intake recorded them (the envelope's `occurredAt`), then by a rank and the event id
 * so that two facts never tie. `case.opened` is always first (`ms = 0`), and the escalation a fact
 * causes stands right after it (rank 1), before anything that happened later in the case.
 */
export type Order = string;
export const orderOf = (ms: number, id: string, rank = 0): Order => `${String(Math.max(0, Math.floor(ms))).padStart(15, '0')}:${rank}:${id}`;
/** The position right after `o`, for an effect of the fact at `o`. */
export const after = (o: Order, id: string): Order => `${o.slice(0, 15)}:1:${id}`;
export const FIRST: Order = '';

/** One fact about a case, as escalation needs it. `id` is what makes it apply once. */
export type CaseFact =
  | { kind: 'opened'; id: string; accountId: string; number: number; channel: Channel; severity: Severity; category: Category; receivedAt: number }
  | { kind: 'status'; id: string; accountId: string; order: Order; status: CaseStatus }
  | { kind: 'reclassified'; id: string; accountId: string; order: Order; severity: Severity; category: Category }
  | { kind: 'assigned'; id: string; accountId: string; order: Order; assigneeId: string | null }
  | { kind: 'reopened'; id: string; accountId: string; order: Order; at: number; reopenCount: number }
  /** The SLA policy the sla service times the case with (its support hours count "unresolved for too long"). */
  | { kind: 'sla'; id: string; accountId: string; order: Order; policyId: string; policyVersion: number }
  /** An escalation reached the case: its level, and the owner it asks intake to assign (if any). */
  | { kind: 'escalated'; id: string; accountId?: string; order: Order; level: EscalationLevel; requestedAssigneeId?: string };

export interface CaseFacts {
  accountId?: string;
  /** Known once `case.opened` arrived (it may come after other facts). */
  opened?: { number: number; channel: Channel; receivedAt: number };
  category?: Category;
  severity?: Severity;
  status: CaseStatus;
  /** The owner as intake recorded it (`case.assigned`); `null` when unassigned. */
  assigneeId?: string | null;
  /** An owner escalation asked for, standing until a later `case.assigned` records the outcome. */
  requestedAssigneeId?: string;
  reopenCount: number;
  level: EscalationLevel;
  /** Since when the case has been unresolved: its receipt, or its latest reopening. */
  unresolvedSince?: number;
  /** The sla service's policy for the case, once one of its clock events arrived. */
  slaPolicy?: { id: string; version: number };
  /** The position of the fact behind each value (last writer wins). */
  orders: { status: Order; classification: Order; assignee: Order; request: Order; since: Order; sla: Order };
}

export const RANK: Record<EscalationLevel, number> = { tier1: 1, tier2: 2, executive: 3 };

export const emptyCase = (): CaseFacts => ({
  status: 'new',
  reopenCount: 0,
  level: 'tier1',
  orders: { status: FIRST, classification: FIRST, assignee: FIRST, request: FIRST, since: FIRST, sla: FIRST },
});

/**
 * Folds one fact into the case. Every field is a last-writer-wins register ordered by `Order`, a
 * maximum, or set once, so the result is the same whatever order the facts arrive in (and applying a
 * fact twice changes nothing).
 */
export function mergeFact(state: CaseFacts, f: CaseFact): CaseFacts {
  const s: CaseFacts = { ...state, orders: { ...state.orders } };
  if (f.accountId) s.accountId ??= f.accountId;
  const wins = (field: keyof CaseFacts['orders'], o: Order) => {
    if (o <= s.orders[field]) return false;
    s.orders[field] = o;
    return true;
  };
  switch (f.kind) {
    case 'opened': {
      const o = orderOf(0, f.id);
      s.opened ??= { number: f.number, channel: f.channel, receivedAt: f.receivedAt };
      if (wins('classification', o)) Object.assign(s, { severity: f.severity, category: f.category });
      if (wins('status', o)) s.status = 'new';
      if (wins('since', o)) s.unresolvedSince = f.receivedAt;
      break;
    }
    case 'status':
      if (wins('status', f.order)) s.status = f.status;
      break;
    case 'reclassified':
      if (wins('classification', f.order)) Object.assign(s, { severity: f.severity, category: f.category });
      break;
    case 'assigned':
      if (wins('assignee', f.order)) s.assigneeId = f.assigneeId;
      break;
    case 'reopened':
      if (wins('status', f.order)) s.status = 'open';
      if (wins('since', f.order)) s.unresolvedSince = f.at;
      s.reopenCount = Math.max(s.reopenCount, f.reopenCount);
      break;
    case 'sla':
      if (wins('sla', f.order)) s.slaPolicy = { id: f.policyId, version: f.policyVersion };
      break;
    case 'escalated':
      if (RANK[f.level] > RANK[s.level]) s.level = f.level;
      if (f.requestedAssigneeId && wins('request', f.order)) s.requestedAssigneeId = f.requestedAssigneeId;
      break;
  }
  return s;
}

export const isDone = (s: Pick<CaseFacts, 'status'>): boolean => s.status === 'resolved' || s.status === 'closed';

/** Who owns the case now: the latest of intake's record and escalation's pending request. */
export function ownerOf(s: CaseFacts): string | undefined {
  if (s.requestedAssigneeId && s.orders.request > s.orders.assignee) return s.requestedAssigneeId;
  return s.assigneeId ?? undefined;
}

/** Whether an escalation whose effect stands at `o` may still ask for an owner (no later assignment overrides it). */
export const mayRequestOwner = (s: CaseFacts, o: Order): boolean => o > s.orders.assignee;

// ---- from events ------------------------------------------------------------------------------

/** A case event's position: when intake recorded it, then its id. */
export const orderOfEvent = (e: Pick<EventEnvelope, 'occurredAt' | 'eventId'>): Order => orderOf(Date.parse(e.occurredAt), e.eventId);

export const factOfOpened = (e: EventEnvelope<CaseOpenedPayload>): CaseFact => ({
  kind: 'opened',
  id: e.eventId,
  accountId: e.payload.accountId,
  number: e.payload.number,
  channel: e.payload.channel,
  severity: e.payload.severity,
  category: e.payload.category,
  receivedAt: Date.parse(e.payload.receivedAt),
});

export const factOfStatus = (e: EventEnvelope<CaseStatusChangedPayload>): CaseFact => ({
  kind: 'status',
  id: e.eventId,
  accountId: e.payload.accountId,
  order: orderOfEvent(e),
  status: e.payload.to,
});

export const factOfResolved = (e: EventEnvelope<CaseResolvedPayload>): CaseFact => ({
  kind: 'status',
  id: e.eventId,
  accountId: e.payload.accountId,
  order: orderOfEvent(e),
  status: 'resolved',
});

export const factOfReclassified = (e: EventEnvelope<CaseReclassifiedPayload>): CaseFact => ({
  kind: 'reclassified',
  id: e.eventId,
  accountId: e.payload.accountId,
  order: orderOfEvent(e),
  severity: e.payload.severity,
  category: e.payload.category,
});

/**
 * An assignment stands where it was caused: a person's at when intake recorded it; one that carries out
 * an escalation's request (`causeOrder`, that escalation's order) right where that request stands. So
 * the CSM assignment Tier 1 asked for does not come after the Tier 2 request decided next, only because
 * intake recorded it a moment later (it would then keep a technical case from ever reaching Tier 2).
 */
export const factOfAssigned = (e: EventEnvelope<CaseAssignedPayload>, causeOrder?: Order): CaseFact => ({
  kind: 'assigned',
  id: e.eventId,
  accountId: e.payload.accountId,
  order: causeOrder ?? orderOfEvent(e),
  assigneeId: e.payload.assigneeId ?? null,
});

export const factOfReopened = (e: EventEnvelope<CaseReopenedPayload>): CaseFact => ({
  kind: 'reopened',
  id: e.eventId,
  accountId: e.payload.accountId,
  order: orderOfEvent(e),
  at: Date.parse(e.payload.at),
  reopenCount: e.payload.reopenCount,
});

export const factOfSla = (e: EventEnvelope<SlaClockEventPayload>): CaseFact => ({
  kind: 'sla',
  id: e.eventId,
  accountId: e.payload.accountId,
  order: orderOfEvent(e),
  policyId: e.payload.goal.policyId,
  policyVersion: e.payload.goal.policyVersion,
});
