import { AccountPayload, EscalationView, Events, makeEnvelope, Rpc, StaffPayload, StaffRole, Streams } from '@sladesk/contracts';
import { bootstrapService, consumerName, loadConfig, NatsBus, ServiceProcess } from '@sladesk/messaging';
import { SmtpSink, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { randomUUID } from 'node:crypto';
import { EscalationModule } from '../src/app.module';
import { EscalationEnv } from '../src/config';

interface Query {
  collection: string;
  method: string;
  filter: unknown;
}

/** Methods that select documents by a filter (inserts and index builds select nothing). */
const FILTERED = new Set(['find', 'findOne', 'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'countDocuments', 'distinct', 'aggregate']);

/** FerretDB uses an index only for a filter with an `_id` equality (a string or an ObjectId). */
const keyedById = (filter: unknown): boolean => {
  const id = (filter as { _id?: unknown } | null)?._id;
  return typeof id === 'string' || id instanceof mongoose.Types.ObjectId;
};

/**
 * Every query escalation runs while handling events, answering requests and ticking selects by `_id`:
 * on FerretDB, whose only usable index is `_id` equality, none of them reads a whole collection. The
 * service runs in this process so that every MongoDB command it sends is seen.
 */
describe('escalation: every event, request and tick reads by _id', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let smtp: SmtpSink;
  let bus: NatsBus;
  let service: ServiceProcess;
  const queries: Query[] = [];
  const mongoUrl = testMongoUrl('escalation_by_id');
  let number = 0;

  const staff = (id: string, roles: StaffRole[]): StaffPayload => ({
    id,
    name: id,
    email: `${id}@vendor.test`,
    roles,
    active: true,
    timeZone: 'UTC',
    workingHours: '00:00-23:59',
    version: 1,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  });
  const account = (id: string, csmId: string): AccountPayload => ({
    id,
    name: id,
    timeZone: 'UTC',
    csmId,
    contacts: [],
    emailDomains: [],
    version: 1,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  });
  const open = async (accountId: string, category: 'technical' | 'billing' | 'how-to' = 'how-to') => {
    const caseId = randomUUID();
    await bus.publish(
      makeEnvelope(Events.CaseOpened, { caseId, number: ++number, accountId, channel: 'api', severity: 'critical', category, receivedAt: new Date().toISOString() }),
    );
    return caseId;
  };
  const escalationsOf = async (caseId: string): Promise<EscalationView[]> => (await bus.request(Rpc.EscalationList, { caseId })).items;
  const sla = (caseId: string, accountId: string) => ({
    caseId,
    accountId,
    clock: 'resolution' as const,
    cycle: 1,
    severity: 'critical' as const,
    goal: {
      clause: 'policy default v1 · critical · resolution: PT4H',
      policyId: 'default',
      policyVersion: 1,
      duration: 'PT4H',
      from: 'received' as const,
      hours: 'emergency' as const,
      calendarId: '24x7',
      calendarVersion: 1,
      businessSeconds: 14400,
    },
    dueAt: new Date().toISOString(),
    at: new Date().toISOString(),
    elapsedBusinessSeconds: 14400,
    remainingBusinessSeconds: 0,
    overdueBusinessSeconds: 0,
  });

  beforeAll(async () => {
    nats = await startTestNats();
    smtp = await startSmtpSink();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    mongoose.set('debug', (collection: string, method: string, ...args: unknown[]) => {
      queries.push({ collection, method, filter: args[0] });
    });
    const config = loadConfig(
      EscalationEnv,
      {
        NATS_URL: nats.url,
        MONGO_URL: mongoUrl,
        LOG_LEVEL: 'silent',
        SLADESK_SMTP_URL: smtp.url,
        SLADESK_ESCALATION_TICK_MS: '100',
        SLADESK_OUTBOX_SWEEP_MS: '600000',
      },
      { exitOnError: false },
    );
    service = await bootstrapService({ service: 'escalation', config, module: (runtime, c) => EscalationModule.forRoot(runtime, c), handleSignals: false });
  });

  afterAll(async () => {
    await service?.stop();
    mongoose.set('debug', false);
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await bus?.close();
    await smtp?.stop();
    await nats.cleanup();
  });

  it('runs the whole escalation process with no query that would read a collection', async () => {
    for (const s of [staff('csm-a', ['csm']), staff('csm-b', ['csm']), staff('csm-c', ['csm']), staff('t2-x', ['tier2']), staff('t2-y', ['tier2']), staff('exec', ['executive']), staff('mgr', ['manager'])]) {
      await bus.publish(makeEnvelope(Events.StaffCreated, s));
    }
    for (const [id, csm] of [['a', 'csm-a'], ['b', 'csm-b'], ['c', 'csm-c']]) await bus.publish(makeEnvelope(Events.AccountCreated, account(id, csm)));
    await waitFor(async () => (await bus.jsm.consumers.info(Streams.Events.name, consumerName('escalation', Events.AccountCreated))).ack_floor.consumer_seq >= 3, 'directory');
    await waitFor(async () => (await bus.jsm.consumers.info(Streams.Events.name, consumerName('escalation', Events.StaffCreated))).ack_floor.consumer_seq >= 7, 'staff');
    await bus.request(Rpc.PolicyPut, { accountId: 'a', ackTimeouts: { tier1: 'PT1S', tier2: 'PT1S', executive: 'PT1S' }, maxRepeats: 1, unresolvedAfter: 'PT2S', unresolvedHours: 'always' });

    // Tier 1, technical → least-loaded Tier 2, the third billing case → executives.
    const first = await open('a', 'technical');
    const billing = [await open('b', 'billing'), await open('b', 'billing'), await open('b', 'billing')];
    const other = await open('c');
    await waitFor(async () => (await escalationsOf(billing[2])).some((e) => e.reason === 'persistent_repeat_category'), 'repeat-category escalation');
    await waitFor(async () => (await escalationsOf(first)).some((e) => e.reason === 'technical'), 'technical escalation');

    // Assignment, reclassification, status change, SLA warning and breach, resolution, reopening.
    const now = () => new Date().toISOString();
    const by = { kind: 'staff' as const, id: 'mgr', name: 'Max' };
    await bus.publish(makeEnvelope(Events.CaseAssigned, { caseId: other, accountId: 'c', at: now(), by, assigneeId: 't2-y' }));
    await bus.publish(
      makeEnvelope(Events.CaseReclassified, { caseId: other, accountId: 'c', at: now(), severity: 'critical', category: 'technical', previousSeverity: 'critical', previousCategory: 'how-to', reason: 'logs' }),
    );
    await bus.publish(makeEnvelope(Events.CaseStatusChanged, { caseId: other, accountId: 'c', at: now(), from: 'new', to: 'open', by }));
    await bus.publish(makeEnvelope(Events.SlaWarning, { ...sla(other, 'c'), remainingBusinessSeconds: 600, thresholdPercent: 75 }));
    await bus.publish(makeEnvelope(Events.SlaBreached, sla(other, 'c')));
    await waitFor(async () => (await escalationsOf(other)).some((e) => e.reason === 'sla_breach'), 'breach escalation');
    await bus.publish(makeEnvelope(Events.CaseResolved, { caseId: billing[0], accountId: 'b', at: now(), by }));
    await bus.publish(makeEnvelope(Events.CaseReopened, { caseId: billing[0], accountId: 'b', at: now(), by, reopenCount: 2 }));
    await waitFor(async () => (await escalationsOf(billing[0])).some((e) => e.reason === 'persistent_reopened'), 'reopened escalation');

    // Requests: acknowledge, manual escalation, an incident over three accounts, lists and gets.
    const [tier1] = (await escalationsOf(billing[1])).filter((e) => e.level === 'tier1');
    await bus.request(Rpc.EscalationAck, { id: tier1.id, by: 'mgr' });
    await bus.request(Rpc.EscalationCreate, { caseId: billing[1], reason: 'churn risk' });
    const incident = await bus.request(Rpc.IncidentCreate, { title: 'Outage', severity: 'high', caseIds: [first, billing[1]] });
    await bus.request(Rpc.IncidentLinkCases, { id: incident.id, caseIds: [other] });
    await bus.request(Rpc.IncidentGet, { id: incident.id });
    await bus.request(Rpc.EscalationGet, { id: tier1.id });
    await bus.request(Rpc.NotificationList, { caseId: first });
    await bus.request(Rpc.PolicyGet, { accountId: 'a' });

    // The ticker: reminders, then the next level, and "unresolved for too long" (account a: 2 s, all hours).
    await waitFor(async () => (await escalationsOf(first)).some((e) => e.reason === 'persistent_unresolved'), 'unresolved escalation', 15_000);
    await waitFor(async () => (await escalationsOf(first)).some((e) => e.state === 'superseded'), 'superseded escalation', 15_000);
    await smtp.waitFor((m) => (m.subject ?? '').includes('reminder 1'));
    await waitFor(async () => (await bus.request(Rpc.NotificationList, { caseId: first })).items.every((x) => x.state === 'sent'), 'mail sent');

    const own = queries.filter((q) => FILTERED.has(q.method));
    expect(own.length).toBeGreaterThan(200);
    // The outbox relay's crash-recovery sweep (libs/messaging) is a background job on its own interval;
    // the folds of earlier layouts (IdSets.foldLegacyDaySets, LoadSets.foldLegacy) run once per database.
    const oneTimeFold = (q: { collection: string; filter?: unknown }) => {
      const id = (q.filter as { _id?: unknown } | undefined)?._id;
      return q.collection === 'esc_sets' && typeof id === 'object' && id !== null && '$regex' in id;
    };
    const scans = own.filter((q) => !keyedById(q.filter) && !Object.prototype.hasOwnProperty.call(q.filter ?? {}, 'outboxPendingSince') && !oneTimeFold(q));
    expect(own.filter(oneTimeFold).length).toBeLessThanOrEqual(2);
    expect(scans.map((q) => `${q.collection}.${q.method}(${JSON.stringify(q.filter)})`)).toEqual([]);
  });
});
