import { EventEnvelope, EventMap, EventSubject, Events, makeEnvelope, Severity, Streams, TimelineEntryPayload } from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, waitFor, workspaceRoot } from '@sladesk/testing';
import mongoose from 'mongoose';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

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

/**
 * What a projection test runs on: a NATS server, the reporting database and a reporting process that
 * has projected the events `start` published (shuffled and partly duplicated by the caller as it likes).
 */
export class ReportingRig {
  nats!: Awaited<ReturnType<typeof startTestNats>>;
  bus!: NatsBus;
  db!: mongoose.Connection;
  reporting?: ServiceChild;

  constructor(readonly mongoUrl: string) {}

  env(): Record<string, string> {
    return { NATS_URL: this.nats.url, MONGO_URL: this.mongoUrl, SLADESK_DIGEST_ENABLED: 'false' };
  }

  async start(events: EventEnvelope[]): Promise<void> {
    this.nats = await startTestNats();
    this.bus = await NatsBus.connect(this.nats.url, 'test');
    await this.bus.ensureStreams();
    this.db = await mongoose.createConnection(this.mongoUrl).asPromise();
    await publishAll(this.bus, events);
    await this.spawn();
    await waitFor(() => projected(this.bus), 'events projected', 30_000, 100);
  }

  async spawn(): Promise<void> {
    this.reporting = spawnService('reporting', this.env());
    await this.reporting.ready;
  }

  /** `node dist/apps/reporting/src/rebuild.js …args` against this rig; its output. */
  async rebuild(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [join(workspaceRoot(), 'dist/apps/reporting/src/rebuild.js'), ...args], {
      env: { ...process.env, ...this.env(), NODE_ENV: 'test' },
    });
    return stdout;
  }

  async stop(): Promise<void> {
    if (process.env.DEBUG_REPORTING) console.log(this.reporting?.output().slice(-6000));
    await this.reporting?.kill();
    await this.bus?.close();
    await this.db?.dropDatabase();
    await this.db?.close();
    await this.nats?.cleanup();
  }
}

export const FR_HIGH = 'policy default v1 · high · firstResponse: PT4H business hours';
export const RES_CRITICAL = 'policy default v1 · critical · resolution: PT4H emergency hours';

/**
 * March 2026, by hand:
 *   c1 acme high      FR met 1 h,          resolved, RES met 4 h
 *   c2 acme high      FR breached, then met late 5 h; RES pending      (subject is a formula)
 *   c3 acme critical  FR met 30 min, RES met 2 h, reopened, RES breached, resolved again, RES met late 8 h
 *   c4 globex normal  FR met 2 h, RES met 16 h
 *   c5 globex (April) and c6 acme (February) are outside March.
 * FR: met c1 c3 c4, missed c2 → 3/4 = 75.0 %; times 1800, 3600, 7200, 18000 → p50 3600, p90 18000.
 * RES: met c1 c4, missed c3, pending c2 → 2/3 = 66.7 %; times 14400, 28800, 57600 → p50 28800, p90 57600.
 * Breaches: 2 (one per clause). Resolved: c1 c3 c4.
 */
export function marchFixture() {
  const a = 'acme';
  const g = 'globex';
  return [
    account(a, 'Acme Corp'),
    account(g, 'Globex'),
    ev(Events.AccountUpdated, { ...account(a, 'Acme Corporation', 2).payload }),
    opened('c1', 1, a, 'high', '2026-03-02T14:00:00.000Z'),
    entries('c1', a, [
      openedEntry('2026-03-02T14:00:00.000Z', 'Ada Lovelace', 'ada@acme.test', 'Cannot log in', 'The login page spins forever.'),
      step(2, 'response', '2026-03-02T15:00:00.000Z', 'Carla CSM', 'We are on it.'),
    ]),
    entries('c1', a, [
      step(3, 'analysis', '2026-03-02T16:00:00.000Z', 'Tom Tier2', 'Session store full.'),
      step(4, 'step', '2026-03-02T17:00:00.000Z', 'Tom Tier2', 'Resized the session store.'),
      step(5, 'resolved', '2026-03-02T18:00:00.000Z', 'Tom Tier2', 'Session store resized; logins work.'),
    ]),
    responded('c1', a, '2026-03-02T15:00:00.000Z', 'Carla CSM'),
    slaMet('c1', a, 'first_response', 'high', '2026-03-02T15:00:00.000Z', 3600, true, FR_HIGH),
    resolved('c1', a, '2026-03-02T18:00:00.000Z', 'Tom Tier2'),
    slaMet('c1', a, 'resolution', 'high', '2026-03-02T18:00:00.000Z', 14_400, true),
    opened('c2', 2, a, 'high', '2026-03-03T09:00:00.000Z'),
    entries('c2', a, [openedEntry('2026-03-03T09:00:00.000Z', 'Bob Builder', 'bob@acme.test', '=HYPERLINK("http://evil.test","x")', 'Export fails.')]),
    slaBreached('c2', a, 'first_response', 'high', '2026-03-03T13:00:00.000Z', FR_HIGH),
    slaMet('c2', a, 'first_response', 'high', '2026-03-03T14:00:00.000Z', 18_000, false, FR_HIGH),
    opened('c3', 3, a, 'critical', '2026-03-05T08:00:00.000Z'),
    slaMet('c3', a, 'first_response', 'critical', '2026-03-05T08:30:00.000Z', 1800, true),
    resolved('c3', a, '2026-03-05T10:00:00.000Z', 'Tom Tier2'),
    slaMet('c3', a, 'resolution', 'critical', '2026-03-05T10:00:00.000Z', 7200, true, RES_CRITICAL),
    reopened('c3', a, '2026-03-06T09:00:00.000Z', 1),
    slaBreached('c3', a, 'resolution', 'critical', '2026-03-06T11:00:00.000Z', RES_CRITICAL),
    resolved('c3', a, '2026-03-06T15:00:00.000Z', 'Tom Tier2'),
    slaMet('c3', a, 'resolution', 'critical', '2026-03-06T15:00:00.000Z', 28_800, false, RES_CRITICAL),
    opened('c4', 4, g, 'normal', '2026-03-10T12:00:00.000Z'),
    slaMet('c4', g, 'first_response', 'normal', '2026-03-10T14:00:00.000Z', 7200, true),
    slaMet('c4', g, 'resolution', 'normal', '2026-03-11T12:00:00.000Z', 57_600, true),
    resolved('c4', g, '2026-03-11T12:00:00.000Z', 'Tom Tier2'),
    opened('c5', 5, g, 'low', '2026-04-01T00:00:00.000Z'),
    slaMet('c5', g, 'first_response', 'low', '2026-04-01T01:00:00.000Z', 3600, true),
    ...escalationFixture(),
    opened('c6', 6, a, 'normal', '2026-02-28T23:59:59.999Z'),
    slaBreached('c6', a, 'first_response', 'normal', '2026-03-01T08:00:00.000Z', 'policy default v1 · normal · firstResponse'),
  ];
}

const escalated = (escalationId: string, accountId: string | undefined, level: 'tier1' | 'tier2' | 'executive', reason: 'new_case' | 'sla_breach' | 'platform_wide', repeat: number, at: string) =>
  ev(Events.Escalated, { escalationId, ...(accountId ? { caseId: 'c2', accountId } : { incidentId: 'i1' }), level, reason, detail: `${reason} detail`, recipients: ['csm-carla'], repeat, at });
const notification = (type: typeof Events.NotificationSent | typeof Events.NotificationFailed, id: string, escalationId: string, attempts: number, at: string, extra: object = {}) =>
  ev(type, { notificationId: id, caseId: 'c2', accountId: 'acme', escalationId, staffId: 'csm-carla', email: 'carla@vendor.test', channels: ['email'], subject: `Escalation ${escalationId}`, attempts, at, ...extra });

/**
 * Escalations in March, by hand: e1 tier1 new_case acknowledged after 30 min; e2 tier2 sla_breach
 * repeated once, acknowledged after 1 h; e3 executive platform_wide (no account), never acknowledged.
 * → 3 escalations, 2 acknowledged (66.7 %), p50 30 min, p90 1 h, 1 repeat.
 * Notices: n1 sent; n2 failed then sent; n3 failed for good; d1 a maintenance notice to a customer, sent.
 * → 4 notices, 3 sent, 1 failed.
 */
export function escalationFixture() {
  return [
    escalated('e1', 'acme', 'tier1', 'new_case', 0, '2026-03-03T09:00:00.000Z'),
    ev(Events.EscalationAcknowledged, { escalationId: 'e1', caseId: 'c2', level: 'tier1', by: 'csm-carla', at: '2026-03-03T09:30:00.000Z' }),
    escalated('e2', 'acme', 'tier2', 'sla_breach', 0, '2026-03-03T13:00:00.000Z'),
    escalated('e2', 'acme', 'tier2', 'sla_breach', 1, '2026-03-03T13:30:00.000Z'),
    ev(Events.EscalationAcknowledged, { escalationId: 'e2', caseId: 'c2', level: 'tier2', by: 't2-tom', at: '2026-03-03T14:00:00.000Z' }),
    escalated('e3', undefined, 'executive', 'platform_wide', 0, '2026-03-05T09:00:00.000Z'),
    notification(Events.NotificationSent, 'n1', 'e1', 1, '2026-03-03T09:00:05.000Z'),
    notification(Events.NotificationFailed, 'n2', 'e2', 1, '2026-03-03T13:00:05.000Z', { error: '451 try later', final: false }),
    notification(Events.NotificationSent, 'n2', 'e2', 2, '2026-03-03T13:01:05.000Z'),
    notification(Events.NotificationFailed, 'n3', 'e3', 5, '2026-03-05T09:10:00.000Z', { error: '550 no such user', final: true, caseId: undefined, accountId: undefined }),
    makeEnvelope('sladesk.evt.outbound.sent.v1', {
      deliveryId: 'd1',
      noticeId: 'w1',
      source: 'maintenance',
      topic: 'window.scheduled',
      accountId: 'acme',
      channel: 'email',
      to: 'ops@acme.test',
      subject: 'Maintenance on 2026-03-20 02:00 UTC',
      attempts: 1,
      at: '2026-03-12T10:00:00.000Z',
    }) as EventEnvelope,
  ];
}
