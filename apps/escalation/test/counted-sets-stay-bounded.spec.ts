import { AccountPayload, EscalationView, Events, makeEnvelope, Rpc, StaffPayload, StaffRole, Streams } from '@sladesk/contracts';
import { bootstrapService, consumerName, loadConfig, NatsBus, ServiceProcess } from '@sladesk/messaging';
import { encodeFieldKey } from '@sladesk/persistence';
import { SmtpSink, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { BSON } from 'mongodb';
import mongoose, { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { EscalationModule } from '../src/app.module';
import { CaseProjection, loadSet, repeatSet } from '../src/cases/case-projection.service';
import { EscalationEnv } from '../src/config';
import { CountedSets } from '../src/keyed/counted-sets';
import { RepairService } from '../src/keyed/repair.service';

const SEEDED = 5_000;
/** No document escalation reads or writes for a new case may be larger than this (the old set documents held every member: ~250 KB here). */
const MAX_DOC_BYTES = 16 * 1024;

/**
 * Sets of thousands of members (5,000 open billing cases of one account, all owned by one Tier 2
 * member, written in the old layout: a map of every member) stay bounded after the upgrade: the
 * largest document read or written for a new case stays under a fixed size, while least-loaded routing
 * and repeated-category counts stay right; two instances routing at once and a crash between applying
 * and forgetting an operation count each case once.
 */
describe('escalation: counted sets stay bounded', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let smtp: SmtpSink;
  let bus: NatsBus;
  let db: Connection;
  const services: ServiceProcess[] = [];
  const touched: { collection: string; id: unknown }[] = [];
  let capture = false;
  const mongoUrl = testMongoUrl('escalation_counted_sets');
  const seeded: string[] = [];
  let number = 0;
  const seededAt = Date.now() - 3_600_000;

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
  const opened = (accountId: string, category: 'technical' | 'billing', receivedAt = new Date()) =>
    makeEnvelope(Events.CaseOpened, { caseId: randomUUID(), number: ++number, accountId, channel: 'api' as const, severity: 'normal' as const, category, receivedAt: receivedAt.toISOString() });
  const escalationsOf = async (caseId: string): Promise<EscalationView[]> => (await bus.request(Rpc.EscalationList, { caseId })).items;
  const tier2Of = (caseId: string) => waitFor(async () => (await escalationsOf(caseId)).find((e) => e.reason === 'technical'), `technical escalation of ${caseId}`) as Promise<EscalationView>;
  const sets = () => db.collection('esc_sets');
  const counterOf = async (set: string) => (await sets().findOne({ _id: set as never })) as { n?: number; o?: Record<string, unknown>; m?: unknown } | null;
  /** The source of truth: how many cases say they are counted in `set`. */
  const membersOf = (set: string) => db.collection('esc_cases').countDocuments({ memberOf: set });
  const start = async (instance: string) => {
    const config = loadConfig(
      EscalationEnv,
      {
        NATS_URL: nats.url,
        MONGO_URL: mongoUrl,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        SLADESK_SMTP_URL: smtp.url,
        SLADESK_INSTANCE_ID: instance,
        SLADESK_ESCALATION_TICK_MS: '3600000',
        SLADESK_OUTBOX_SWEEP_MS: '600000',
      },
      { exitOnError: false },
    );
    const s = await bootstrapService({ service: 'escalation', config, module: (runtime, c) => EscalationModule.forRoot(runtime, c), handleSignals: false });
    services.push(s);
    return s;
  };

  beforeAll(async () => {
    nats = await startTestNats();
    smtp = await startSmtpSink();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    // The old layout: 5,000 open billing cases of account "big", all owned by t2-busy, and the two
    // set documents that list every one of them.
    const load: Record<string, number> = {};
    const day: Record<string, number> = {};
    const cases = [];
    for (let i = 0; i < SEEDED; i++) {
      const id = randomUUID();
      const at = seededAt + i;
      seeded.push(id);
      load[encodeFieldKey(id)] = 1;
      day[encodeFieldKey(id)] = at;
      cases.push({
        _id: id,
        rev: 2,
        accountId: 'big',
        number: 100_000 + i,
        channel: 'api',
        openedAt: new Date(at),
        category: 'billing',
        severity: 'normal',
        status: 'open',
        level: 'tier2',
        assigneeId: 't2-busy',
        reopenCount: 0,
        orders: { status: '', classification: '', assignee: `${at}`, request: '', unresolved: '', level: '', sla: '' },
        escalationIds: [],
        notificationIds: [],
        memberOf: [loadSet('t2-busy'), repeatSet('big', 'billing', at), loadSet('csm-big')],
        appliedEventIds: [`seed-${i}`],
      });
    }
    for (let i = 0; i < cases.length; i += 1000) await db.collection('esc_cases').insertMany(cases.slice(i, i + 1000) as never[]);
    await sets().insertMany([
      { _id: loadSet('t2-busy'), m: load, rev: 3 },
      { _id: repeatSet('big', 'billing', seededAt), m: day },
    ] as never[]);
    expect(BSON.calculateObjectSize((await counterOf(loadSet('t2-busy')))!)).toBeGreaterThan(MAX_DOC_BYTES * 4);

    mongoose.set('debug', (collection: string, _method: string, ...args: unknown[]) => {
      const id = (args[0] as { _id?: unknown } | null)?._id;
      if (capture && (typeof id === 'string' || id instanceof mongoose.Types.ObjectId)) touched.push({ collection, id });
    });
    await start('a');
    let last = 0;
    for (const s of [staff('csm-big', ['csm']), staff('csm-fresh', ['csm']), staff('t2-busy', ['tier2']), staff('t2-a', ['tier2']), staff('t2-b', ['tier2']), staff('exec', ['executive'])]) {
      last = (await bus.publish(makeEnvelope(Events.StaffCreated, s))).seq;
    }
    for (const a of [account('big', 'csm-big'), account('fresh', 'csm-fresh')]) last = (await bus.publish(makeEnvelope(Events.AccountCreated, a))).seq;
    for (const subject of [Events.StaffCreated, Events.AccountCreated]) {
      await waitFor(async () => (await bus.jsm.consumers.info(Streams.Events.name, consumerName('escalation', subject))).ack_floor.stream_seq >= last - 8, `${subject} handled`);
    }
    await waitFor(async () => (await bus.request(Rpc.EscalationList, {})).items !== undefined, 'service up');
  }, 120_000);

  afterAll(async () => {
    mongoose.set('debug', false);
    for (const s of services) await s.stop();
    await db?.dropDatabase();
    await db?.close();
    await bus?.close();
    await smtp?.stop();
    await nats.cleanup();
  });

  it('converts the old sets, routes least-loaded and counts repeats with every document bounded', async () => {
    // Converted in place (at start, in the background, or by the first use): a count, no member map.
    await waitFor(async () => (await counterOf(loadSet('t2-busy')))?.n === SEEDED, 'old load set converted');
    await waitFor(async () => (await counterOf(repeatSet('big', 'billing', seededAt)))?.n === SEEDED, 'old day set converted');
    for (const set of [loadSet('t2-busy'), repeatSet('big', 'billing', seededAt)]) {
      const doc = (await counterOf(set))!;
      expect(doc.m).toBeUndefined();
      expect(BSON.calculateObjectSize(doc)).toBeLessThan(MAX_DOC_BYTES);
    }

    capture = true;
    // Six technical cases of "big" at once: Tier 2 picks the two idle members, three each (the busy one has 5,000).
    const technical = [0, 1, 2, 3, 4, 5].map((i) => opened('big', 'technical', new Date(Date.now() - 60_000 + i * 1000)));
    const billing = opened('big', 'billing');
    for (const e of [...technical, billing]) await bus.publish(e);
    const picks = await Promise.all(technical.map(async (e) => (await tier2Of(e.payload.caseId)).assigneeId));
    expect(picks.filter((p) => p === 't2-a')).toHaveLength(3);
    expect(picks.filter((p) => p === 't2-b')).toHaveLength(3);
    // The 3rd to 6th technical case of the day and the 5,001st billing case engage executives; the first two do not.
    for (const e of [...technical.slice(2), billing]) {
      await waitFor(async () => (await escalationsOf(e.payload.caseId)).some((x) => x.reason === 'persistent_repeat_category'), 'repeat-category escalation');
    }
    for (const e of technical.slice(0, 2)) expect((await escalationsOf(e.payload.caseId)).some((x) => x.reason === 'persistent_repeat_category')).toBe(false);
    const repeat = (await escalationsOf(billing.payload.caseId)).find((x) => x.reason === 'persistent_repeat_category')!;
    expect(repeat.detail).toMatch(/^5001 billing cases/);
    capture = false;

    // Every document escalation read or wrote for those cases by _id, as it stands now.
    const seen = new Map(touched.map((t) => [`${t.collection}\u0000${String(t.id)}`, t]));
    let largest = { bytes: 0, what: '' };
    for (const t of seen.values()) {
      const doc = await db.collection(t.collection).findOne({ _id: t.id as never });
      const bytes = doc ? BSON.calculateObjectSize(doc) : 0;
      if (bytes > largest.bytes) largest = { bytes, what: `${t.collection}/${String(t.id)}` };
    }
    expect(seen.size).toBeGreaterThan(50);
    expect(largest.bytes).toBeLessThan(MAX_DOC_BYTES);
    expect(seen.has(`esc_sets\u0000${loadSet('t2-busy')}`)).toBe(true);

    // A case of the old layout resolved: it leaves its owner's count (and the CSM's, which never held it, is not touched).
    await bus.publish(makeEnvelope(Events.CaseResolved, { caseId: seeded[0], accountId: 'big', at: new Date().toISOString(), by: { kind: 'staff', id: 't2-busy', name: 'Busy' } }));
    await waitFor(async () => (await counterOf(loadSet('t2-busy')))?.n === SEEDED - 1, 'resolved case left the load set');
    // The counts equal what the cases say, and no operation is left remembered.
    for (const member of ['t2-a', 't2-b']) {
      await waitFor(async () => (await counterOf(loadSet(member)))?.n === 3, `load of ${member}`, 30_000);
      expect(await membersOf(loadSet(member))).toBe(3);
      await waitFor(async () => Object.keys((await counterOf(loadSet(member)))?.o ?? {}).length === 0, `operations of ${member} forgotten`);
    }
  }, 180_000);

  it('counts each case once with two instances routing at once and every event delivered twice', async () => {
    await start('b');
    const before = { a: (await counterOf(loadSet('t2-a')))!.n!, b: (await counterOf(loadSet('t2-b')))!.n! };
    expect(before.a).toBe(before.b);
    const events = Array.from({ length: 10 }, (_, i) => opened('fresh', 'technical', new Date(Date.now() - 30_000 + i)));
    // Each case opened twice (JetStream drops a copy with the same event id, so the second copy is the
    // same fact under another id): both instances may handle either copy.
    await Promise.all(events.flatMap((e) => [bus.publish(e), bus.publish(makeEnvelope(Events.CaseOpened, e.payload))]));
    const picks = await Promise.all(events.map(async (e) => (await tier2Of(e.payload.caseId)).assigneeId));
    expect(picks.filter((p) => p === 't2-busy')).toHaveLength(0);
    expect({ a: picks.filter((p) => p === 't2-a').length, b: picks.filter((p) => p === 't2-b').length }).toEqual({ a: 5, b: 5 });
    for (const [member, was] of [['t2-a', before.a], ['t2-b', before.b]] as const) {
      await waitFor(async () => (await counterOf(loadSet(member)))?.n === was + 5, `load of ${member} +5`, 30_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}: ${JSON.stringify(await counterOf(loadSet(member)))} was ${was}, members ${await membersOf(loadSet(member))}`);
      });
      expect(await membersOf(loadSet(member))).toBe(was + 5);
    }
    expect(picks.filter((p) => p === 't2-a')).toHaveLength(5);
  }, 120_000);

  it('finishes operations a crash left recorded but not forgotten, counting them once', async () => {
    const [a, b] = services.map((s) => ({ projection: s.app.get(CaseProjection), sets: s.app.get(CountedSets) }));
    const caseId = seeded[1];
    const cases = db.collection('esc_cases');
    const doc = (await cases.findOne({ _id: caseId as never }))!;
    // A crash after the operation was recorded on the case and applied to the set, before either forgot it.
    const op = { id: `${caseId}|crash|0`, set: loadSet('t2-crash'), d: 1 as const };
    const counted = (doc.memberOf as string[]).filter((set) => set !== loadSet('csm-big'));
    await cases.updateOne({ _id: caseId as never }, { $set: { memberOf: [...counted, op.set], setOps: [op], setsRev: 7 } });
    expect(await a.sets.apply(caseId, op)).toBe('applied');
    expect(await b.sets.apply(caseId, op)).toBe('done');
    // Both instances finish it at once (the case's next fact, or the redelivered event): applied once,
    // then the case is taken out again (its facts do not put it there).
    await Promise.all([a.projection.syncSets(caseId), b.projection.syncSets(caseId)]);
    await a.projection.syncSets(caseId);
    expect((await counterOf(op.set))?.n).toBe(0);
    expect(await membersOf(op.set)).toBe(0);
    expect(Object.keys((await counterOf(op.set))?.o ?? {})).toEqual([]);
    const after = (await cases.findOne({ _id: caseId as never }))!;
    expect(after.setOps).toEqual([]);
    expect(after.memberOf).toEqual(expect.arrayContaining([loadSet('t2-busy'), repeatSet('big', 'billing', seededAt + 1)]));
    expect((await counterOf(loadSet('t2-busy')))?.n).toBe(SEEDED - 1);

    // A crash after the case forgot an operation, before its set did: the background repair forgets it.
    await a.sets.void({ id: `${caseId}|left|0`, set: op.set, d: 1 });
    expect(Object.keys((await counterOf(op.set))?.o ?? {})).toHaveLength(1);
    await services[0].app.get(RepairService).run();
    expect(Object.keys((await counterOf(op.set))?.o ?? {})).toEqual([]);
    expect((await counterOf(op.set))?.n).toBe(0);
  }, 60_000);
});
