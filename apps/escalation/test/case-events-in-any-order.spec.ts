import { AccountPayload, CaseOpenedPayload, EscalationView, Events, makeEnvelope, Rpc, StaffPayload, StaffRole, Streams } from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';
import { ServiceChild, SmtpSink, spawnService, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose, { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';

/**
 * Case events reach escalation in any order (several consumers, parallel handlers, redeliveries):
 * whatever arrives first, nothing is dead-lettered, the case ends as its history says, and a resolved
 * case is never chased.
 */
describe('escalation: case events in any order', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let smtp: SmtpSink;
  let bus: NatsBus;
  let escalation: ServiceChild;
  let db: Connection;
  const mongoUrl = testMongoUrl('escalation_any_order');
  const actor = { kind: 'staff' as const, id: 'carla', name: 'Carla' };
  let n = 100;

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
  const account: AccountPayload = {
    id: 'acme',
    name: 'ACME',
    timeZone: 'UTC',
    csmId: 'csm-ann',
    contacts: [],
    emailDomains: [],
    version: 1,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  };
  const openedPayload = (caseId: string, over: Partial<CaseOpenedPayload> = {}): CaseOpenedPayload => ({
    caseId,
    number: ++n,
    accountId: 'acme',
    channel: 'api',
    severity: 'critical', // mail at once, whatever the hour
    category: 'how-to',
    receivedAt: new Date(Date.now() - 60_000).toISOString(),
    ...over,
  });
  /** An event recorded by intake `secondsAgo` before now (its position in the case's history). */
  const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);

  const escalationsOf = async (caseId: string): Promise<EscalationView[]> => (await bus.request(Rpc.EscalationList, { caseId })).items;
  const caseState = (caseId: string) => db.collection('esc_cases').findOne({ _id: caseId as never });
  const deadLetters = () => db.collection('dead_letters').countDocuments();
  /** Resolves once escalation's consumer of `subject` acknowledged the message at `seq` (handled, or dead-lettered). */
  const handled = (subject: string, seq: number) =>
    waitFor(async () => {
      const info = await bus.jsm.consumers.info(Streams.Events.name, consumerName('escalation', subject));
      return info.ack_floor.stream_seq >= seq;
    }, `${subject} #${seq} handled`);

  beforeAll(async () => {
    nats = await startTestNats();
    smtp = await startSmtpSink();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    escalation = spawnService('escalation', {
      NATS_URL: nats.url,
      MONGO_URL: mongoUrl,
      SLADESK_SMTP_URL: smtp.url,
      SLADESK_ESCALATION_TICK_MS: '200',
      SLADESK_BACKOFF_BASE_MS: '100',
      SLADESK_MAX_DELIVER: '3',
    });
    await escalation.ready;
    for (const s of [staff('csm-ann', ['csm']), staff('t2-tia', ['tier2']), staff('exec-eve', ['executive'])]) await bus.publish(makeEnvelope(Events.StaffCreated, s));
    await bus.publish(makeEnvelope(Events.AccountCreated, account));
    db = await mongoose.createConnection(mongoUrl).asPromise();
    await waitFor(async () => (await db.collection('esc_accounts').countDocuments()) === 1 && (await db.collection('esc_staff').countDocuments()) === 3, 'directory copied');
    // Acknowledgement timeouts of one second: a chased case would be reminded within the test.
    await bus.request(Rpc.PolicyPut, { accountId: 'acme', ackTimeouts: { tier1: 'PT1S', tier2: 'PT1S', executive: 'PT1S' }, maxRepeats: 1 });
  });

  afterAll(async () => {
    await escalation?.kill();
    await bus?.close();
    await smtp?.stop();
    await db?.dropDatabase();
    await db?.close();
    await nats.cleanup();
  });

  it('takes an assignment delivered before case.opened: no dead letter, the assignee stays, Tier 1 still engages the CSM', async () => {
    const caseId = randomUUID();
    const assigned = makeEnvelope(Events.CaseAssigned, { caseId, accountId: 'acme', at: at(30).toISOString(), by: actor, assigneeId: 'carla' }, {}, at(30));
    const a = await bus.publish(assigned);
    await handled(Events.CaseAssigned, a.seq);
    const o = await bus.publish(makeEnvelope(Events.CaseOpened, openedPayload(caseId), {}, at(40)));
    const tier1 = await waitFor(async () => (await escalationsOf(caseId))[0], 'Tier 1 escalation');
    await handled(Events.CaseOpened, o.seq);
    expect(tier1).toMatchObject({ level: 'tier1', reason: 'new_case', recipients: ['csm-ann'], state: 'open' });
    // The later assignment in the case's history stands: Tier 1 does not ask for the CSM to own it.
    expect(tier1.assigneeId).toBeUndefined();
    expect(await caseState(caseId)).toMatchObject({ assigneeId: 'carla', status: 'new', accountId: 'acme', number: n });
    await smtp.waitFor((m) => JSON.stringify(m.to).includes('csm-ann@') && (m.subject ?? '').includes(caseId));
    expect(await deadLetters()).toBe(0);
  });

  it('never chases a case resolved before its case.opened arrived', async () => {
    const caseId = randomUUID();
    const resolved = await bus.publish(
      makeEnvelope(Events.CaseResolved, { caseId, accountId: 'acme', at: at(10).toISOString(), by: actor }, {}, at(10)),
    );
    await handled(Events.CaseResolved, resolved.seq);
    const opened = await bus.publish(makeEnvelope(Events.CaseOpened, openedPayload(caseId, { category: 'technical' }), {}, at(50)));
    await handled(Events.CaseOpened, opened.seq);
    expect(await escalationsOf(caseId)).toEqual([]);
    expect(await caseState(caseId)).toMatchObject({ status: 'resolved', category: 'technical', escalationIds: [] });
    expect(await deadLetters()).toBe(0);
  });

  it('closes the escalations of a case whose opening and resolution race, so no reminder follows', async () => {
    const caseIds = Array.from({ length: 4 }, () => randomUUID());
    const acks: { subject: string; seq: number }[] = [];
    for (const caseId of caseIds) {
      // Published back to back: two consumers handle them at the same time.
      const o = await bus.publish(makeEnvelope(Events.CaseOpened, openedPayload(caseId, { category: 'technical' }), {}, at(20)));
      const r = await bus.publish(makeEnvelope(Events.CaseResolved, { caseId, accountId: 'acme', at: at(5).toISOString(), by: actor }, {}, at(5)));
      acks.push({ subject: Events.CaseOpened, seq: o.seq }, { subject: Events.CaseResolved, seq: r.seq });
    }
    for (const { subject, seq } of acks) await handled(subject, seq);
    for (const caseId of caseIds) {
      const escs = await escalationsOf(caseId);
      expect(escs.filter((e) => e.state === 'open')).toEqual([]);
      expect(escs.every((e) => e.repeats === 0 && e.ackDueAt === undefined)).toBe(true);
    }
    expect(await deadLetters()).toBe(0);
  });

  it('routes a case reclassified as technical before case.opened arrived to Tier 2 once it does', async () => {
    const caseId = randomUUID();
    const r = await bus.publish(
      makeEnvelope(
        Events.CaseReclassified,
        { caseId, accountId: 'acme', at: at(10).toISOString(), severity: 'critical', category: 'technical', previousSeverity: 'critical', previousCategory: 'how-to', reason: 'stack trace' },
        {},
        at(10),
      ),
    );
    await handled(Events.CaseReclassified, r.seq);
    expect(await escalationsOf(caseId)).toEqual([]); // nothing to route before the case is known
    await bus.publish(makeEnvelope(Events.CaseOpened, openedPayload(caseId), {}, at(30)));
    const tier2 = await waitFor(async () => (await escalationsOf(caseId)).find((e) => e.level === 'tier2'), 'Tier 2 escalation');
    expect(tier2).toMatchObject({ reason: 'technical', assigneeId: 't2-tia' });
    // At Tier 2 or above: the earlier cases of this file are technical cases of the same account, so the
    // repeat-category rule (and unacknowledged notifications) may already have taken it to the executives.
    await waitFor(async () => ['tier2', 'executive'].includes((await caseState(caseId))?.level as string), 'case at Tier 2 or above');
    expect(await caseState(caseId)).toMatchObject({ category: 'technical', requestedAssigneeId: 't2-tia' });
  });

  it('handles an event carrying a field it does not know', async () => {
    const caseId = randomUUID();
    const e = makeEnvelope(Events.CaseOpened, { ...openedPayload(caseId), priorityScore: 0.93 } as CaseOpenedPayload);
    await bus.js.publish(e.type, new TextEncoder().encode(JSON.stringify(e)), { msgID: e.eventId });
    const tier1 = await waitFor(async () => (await escalationsOf(caseId))[0], 'Tier 1 escalation');
    expect(tier1).toMatchObject({ level: 'tier1', assigneeId: 'csm-ann' });
    expect(await deadLetters()).toBe(0);
  });
});
