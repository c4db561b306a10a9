import { EventEnvelope, EventMap, EventSubject, Events, makeEnvelope, Severity, Streams, TimelineEntryPayload } from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';

// Events as intake, sla and escalation publish them, for the reporting tests.

export const HASH = (n: number) => n.toString(16).padStart(64, '0');

export const ev = <S extends EventSubject>(type: S, payload: EventMap[S]): EventEnvelope<EventMap[S]> & { type: S } => makeEnvelope(type, payload);

export const goal = (clause: string) => ({
  clause,
  policyId: 'default',
  policyVersion: 1,
  duration: 'PT4H',
  from: 'received' as const,
  hours: 'business' as const,
  calendarId: 'default-contract',
  calendarVersion: 1,
  businessSeconds: 14_400,
});

export function slaMet(caseId: string, accountId: string, clock: 'first_response' | 'resolution', severity: Severity, at: string, elapsed: number, withinGoal: boolean, clause = `policy default v1 · ${severity} · ${clock}`) {
  return ev(Events.SlaMet, {
    caseId,
    accountId,
    clock,
    cycle: 1,
    severity,
    goal: goal(clause),
    at,
    elapsedBusinessSeconds: elapsed,
    remainingBusinessSeconds: withinGoal ? 1 : 0,
    overdueBusinessSeconds: withinGoal ? 0 : 1,
    withinGoal,
    reason: clock === 'first_response' ? 'responded' : 'resolved',
  });
}

export function slaBreached(caseId: string, accountId: string, clock: 'first_response' | 'resolution', severity: Severity, at: string, clause: string) {
  return ev(Events.SlaBreached, {
    caseId,
    accountId,
    clock,
    cycle: 1,
    severity,
    goal: goal(clause),
    dueAt: at,
    at,
    elapsedBusinessSeconds: 14_400,
    remainingBusinessSeconds: 0,
    overdueBusinessSeconds: 0,
  });
}

export const opened = (caseId: string, number: number, accountId: string, severity: Severity, receivedAt: string) =>
  ev(Events.CaseOpened, { caseId, number, accountId, channel: 'email', severity, category: 'technical', receivedAt });

const staff = (name: string) => ({ kind: 'staff' as const, id: name.toLowerCase().replace(/\W+/g, '-'), name });

/** Timeline entries as intake seals them (hashes are placeholders here: these tests do not verify chains). */
export function entries(caseId: string, accountId: string, list: Omit<TimelineEntryPayload, 'prevHash' | 'hash' | 'recordedAt'>[]) {
  return ev(Events.CaseTimelineAppended, {
    caseId,
    accountId,
    entries: list.map((e) => ({ ...e, recordedAt: e.at, prevHash: HASH(e.seq - 1), hash: HASH(e.seq) })),
  });
}

export const openedEntry = (at: string, contact: string, email: string, subject: string, description: string) => ({
  seq: 1,
  kind: 'opened' as const,
  at,
  actor: { kind: 'contact' as const, name: contact },
  text: description,
  data: { subject, channel: 'email', contactEmail: email, severity: 'high', category: 'technical' },
});

export const step = (seq: number, kind: TimelineEntryPayload['kind'], at: string, by: string, text: string) => ({ seq, kind, at, actor: staff(by), text });

export const responded = (caseId: string, accountId: string, at: string, by: string) =>
  ev(Events.CaseResponded, { caseId, accountId, at, by: staff(by), first: true, channel: 'email' });
export const resolved = (caseId: string, accountId: string, at: string, by: string) => ev(Events.CaseResolved, { caseId, accountId, at, by: staff(by) });
export const reopened = (caseId: string, accountId: string, at: string, count: number) =>
  ev(Events.CaseReopened, { caseId, accountId, at, by: { kind: 'contact', name: 'Customer' }, reopenCount: count });

export const account = (id: string, name: string, version = 1) =>
  ev(Events.AccountCreated, { id, name, timeZone: 'America/New_York', contacts: [], emailDomains: [], version, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });

/** Deterministic shuffle (a seeded LCG): the same "random" order every run. */
export function shuffled<T>(list: T[], seed = 7): T[] {
  const out = [...list];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Publishes each event, and some of them a second time under another message id (an outbox replay). */
export async function publishAll(bus: NatsBus, events: EventEnvelope[], duplicateEvery = 3): Promise<void> {
  for (const [i, e] of events.entries()) {
    await bus.publishEnvelope(e);
    if (i % duplicateEvery === 0) await bus.js.publish(e.type, new TextEncoder().encode(JSON.stringify(e)), { msgID: `${e.eventId}-again` });
  }
}

/** The reporting projection consumer has handled everything published so far. */
export async function projected(bus: NatsBus): Promise<boolean> {
  const info = await bus.jsm.consumers.info(Streams.Events.name, consumerName('reporting', 'sladesk.evt.>')).catch(() => null);
  return !!info && info.num_pending === 0 && info.num_ack_pending === 0;
}
