import { AccountPayload, EscalationView, Events, makeEnvelope, NotificationView, Rpc, StaffPayload, StaffRole, Streams } from '@sladesk/contracts';
import { bootstrapService, consumerName, loadConfig, NatsBus, ServiceProcess } from '@sladesk/messaging';
import { SmtpSink, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { randomUUID } from 'node:crypto';
import { EscalationModule } from '../src/app.module';
import { CaseFact } from '../src/cases/case-facts';
import { CaseProjection } from '../src/cases/case-projection.service';
import { EscalationEnv } from '../src/config';
import { EscalateInput, EscalationService } from '../src/escalations/escalation.service';
import { NotifyInput, NotificationService } from '../src/notifications/notification.service';
import { RepairService } from '../src/keyed/repair.service';
import { TickerService } from '../src/ticker.service';

/** A zone where it is a weekday now, and working hours there that include (or exclude) now. */
function hoursAroundNow(include: boolean): { timeZone: string; workingHours: string } {
  for (const timeZone of ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(new Date());
    const weekday = parts.find((p) => p.type === 'weekday')!.value;
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    if (['Sat', 'Sun'].includes(weekday)) continue;
    if (include && hour >= 1 && hour <= 21) return { timeZone, workingHours: `${String(hour - 1).padStart(2, '0')}:00-${String(hour + 2).padStart(2, '0')}:00` };
    if (!include && hour >= 4 && hour <= 21) return { timeZone, workingHours: `${String(hour - 4).padStart(2, '0')}:00-${String(hour - 2).padStart(2, '0')}:00` };
  }
  throw new Error('no suitable zone found');
}

/**
 * The acknowledgement chain with the clock in the test's hand (the service runs in this process and
 * its ticker is driven with chosen instants), and with crashes injected between the steps of a timeout.
 */
describe('escalation: acknowledgement clock and crash recovery', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let smtp: SmtpSink;
  let bus: NatsBus;
  let service: ServiceProcess;
  let ticker: TickerService;
  const mongoUrl = testMongoUrl('escalation_ack_clock');
  let number = 0;
  const later = (ms: number) => new Date(Date.now() + ms);

  const staff = (id: string, roles: StaffRole[], hours: { timeZone: string; workingHours: string }): StaffPayload => ({
    id,
    name: id,
    email: `${id}@vendor.test`,
    roles,
    active: true,
    ...hours,
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
  const open = async (accountId: string, severity: 'critical' | 'normal') => {
    const caseId = randomUUID();
    await bus.publish(makeEnvelope(Events.CaseOpened, { caseId, number: ++number, accountId, channel: 'api', severity, category: 'how-to', receivedAt: new Date().toISOString() }));
    return caseId;
  };
  const escalationsOf = async (caseId: string): Promise<EscalationView[]> => (await bus.request(Rpc.EscalationList, { caseId })).items;
  const notificationsOf = async (caseId: string): Promise<NotificationView[]> => (await bus.request(Rpc.NotificationList, { caseId })).items;
  const tier1Of = (caseId: string): Promise<EscalationView> =>
    waitFor(async () => (await escalationsOf(caseId)).find((e) => e.level === 'tier1'), 'Tier 1 escalation') as Promise<EscalationView>;
  const handled = (subject: string, seq: number) =>
    waitFor(async () => (await bus.jsm.consumers.info(Streams.Events.name, consumerName('escalation', subject))).ack_floor.stream_seq >= seq, `${subject} #${seq} handled`);

  beforeAll(async () => {
    nats = await startTestNats();
    smtp = await startSmtpSink();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    const config = loadConfig(
      EscalationEnv,
      {
        NATS_URL: nats.url,
        MONGO_URL: mongoUrl,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        SLADESK_SMTP_URL: smtp.url,
        SLADESK_ESCALATION_TICK_MS: '3600000', // the test ticks
        SLADESK_BACKOFF_BASE_MS: '100',
        SLADESK_MAX_DELIVER: '20',
      },
      { exitOnError: false },
    );
    service = await bootstrapService({ service: 'escalation', config, module: (runtime, c) => EscalationModule.forRoot(runtime, c), handleSignals: false });
    ticker = service.app.get(TickerService);
    const atWork = hoursAroundNow(true);
    for (const s of [
      staff('csm-night', ['csm'], hoursAroundNow(false)),
      staff('csm-day', ['csm'], atWork),
      staff('t2', ['tier2'], atWork),
      staff('exec', ['executive'], atWork),
    ]) {
      await bus.publish(makeEnvelope(Events.StaffCreated, s));
    }
    let last = 0;
    for (const a of [account('night', 'csm-night'), account('day', 'csm-day')]) last = (await bus.publish(makeEnvelope(Events.AccountCreated, a))).seq;
    await handled(Events.AccountCreated, last);
    await waitFor(async () => (await bus.jsm.consumers.info(Streams.Events.name, consumerName('escalation', Events.StaffCreated))).ack_floor.consumer_seq >= 4, 'staff');
    for (const accountId of ['night', 'day']) {
      await bus.request(Rpc.PolicyPut, { accountId, ackTimeouts: { tier1: 'PT1S', tier2: 'PT1S', executive: 'PT1S' }, maxRepeats: accountId === 'day' ? 1 : 0 });
    }
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await service?.stop();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await bus?.close();
    await smtp?.stop();
    await nats.cleanup();
  });

  afterEach(() => jest.restoreAllMocks());

  it('starts the acknowledgement clock of a held notification when it is delivered, not before', async () => {
    const caseId = await open('night', 'normal');
    const tier1 = await tier1Of(caseId);
    const held = (await waitFor(async () => (await notificationsOf(caseId))[0], 'held notification')) as NotificationView;
    expect(held).toMatchObject({ state: 'pending', critical: false });
    const sendAfter = Date.parse(held.sendAfter);
    expect(sendAfter).toBeGreaterThan(Date.now() + 60 * 60_000);
    expect(tier1.ackDueAt).toBeUndefined();

    // Ten minutes on, the 1-second timeout has long passed, but nothing has asked the CSM yet.
    await ticker.tick(later(10 * 60_000));
    expect(await escalationsOf(caseId)).toEqual([expect.objectContaining({ id: tier1.id, level: 'tier1', state: 'open', repeats: 0 })]);

    // Working hours begin: the mail goes out, and only now does the clock run.
    await ticker.tick(new Date(sendAfter + 1000));
    await smtp.waitFor((m) => JSON.stringify(m.to).includes('csm-night@') && (m.subject ?? '').includes(caseId));
    const armed = (await waitFor(async () => (await bus.request(Rpc.EscalationGet, { id: tier1.id })).ackDueAt, 'acknowledgement clock started')) as string;
    const sentAt = Date.parse((await notificationsOf(caseId))[0].sentAt!);
    expect(Date.parse(armed)).toBe(sentAt + 1000);
    await ticker.tick(new Date(Date.parse(armed) + 1000));
    const up = (await escalationsOf(caseId)).find((e) => e.level === 'tier2');
    expect(up).toMatchObject({ reason: 'new_case', state: 'open' });
  });

  it('keeps a critical escalation going at once: its clock runs from its creation', async () => {
    const caseId = await open('night', 'critical');
    const tier1 = await tier1Of(caseId);
    expect(Date.parse(tier1.ackDueAt!)).toBeLessThanOrEqual(Date.parse(tier1.createdAt) + 1000);
    await ticker.tick(later(3000));
    expect((await escalationsOf(caseId)).find((e) => e.level === 'tier2')).toBeDefined();
  });

  it('still engages the next level when a crash interrupts superseding an unacknowledged escalation', async () => {
    const caseId = await open('night', 'critical');
    await tier1Of(caseId);
    const escalate = EscalationService.prototype.escalate;
    let crashed = 0;
    jest.spyOn(EscalationService.prototype, 'escalate').mockImplementation(function (this: EscalationService, input: EscalateInput, now?: Date) {
      if (input.key.endsWith(':unacknowledged') && input.caseId === caseId && !crashed++) return Promise.reject(new Error('crash'));
      return escalate.call(this, input, now);
    });
    await ticker.tick(later(3000)); // times out, crashes mid-way
    expect(crashed).toBe(1);
    await ticker.tick(later(30_000)); // the retry
    const escs = await escalationsOf(caseId);
    expect(escs.find((e) => e.level === 'tier2')).toMatchObject({ state: 'open' });
    expect(escs.find((e) => e.level === 'tier1')).toMatchObject({ state: 'superseded' });
  });

  it('still sends the reminder when a crash interrupts it', async () => {
    const caseId = await open('day', 'critical');
    const tier1 = await tier1Of(caseId);
    const notify = NotificationService.prototype.notify;
    let crashed = 0;
    jest.spyOn(NotificationService.prototype, 'notify').mockImplementation(function (this: NotificationService, input: NotifyInput, now?: Date) {
      if (input.key === `${tier1.id}:1:csm-day` && !crashed++) return Promise.reject(new Error('crash'));
      return notify.call(this, input, now);
    });
    await ticker.tick(later(3000)); // the reminder is due, crashes mid-way
    expect(crashed).toBe(1);
    await ticker.tick(later(30_000)); // the retry
    const reminders = (await notificationsOf(caseId)).filter((n) => n.subject.includes('reminder 1'));
    expect(reminders).toHaveLength(1);
    expect(await bus.request(Rpc.EscalationGet, { id: tier1.id })).toMatchObject({ repeats: 1 });
  });

  it('still engages executives for a platform-wide incident when a crash interrupts it', async () => {
    const escalate = EscalationService.prototype.escalate;
    let crashed = 0;
    jest.spyOn(EscalationService.prototype, 'escalate').mockImplementation(function (this: EscalationService, input: EscalateInput, now?: Date) {
      if (input.reason === 'platform_wide' && !crashed++) return Promise.reject(new Error('crash'));
      return escalate.call(this, input, now);
    });
    await expect(bus.request(Rpc.IncidentCreate, { title: 'Database down', severity: 'critical' })).rejects.toThrow();
    expect(crashed).toBe(1);
    const [incident] = (await bus.request(Rpc.IncidentList, {})).items;
    await ticker.tick(later(5 * 60_000)); // the ticker finishes what the crash interrupted
    const escs = (await bus.request(Rpc.EscalationList, { reason: 'platform_wide' })).items;
    expect(escs).toEqual([expect.objectContaining({ incidentId: incident.id, level: 'executive', recipients: ['exec'] })]);
    expect(await bus.request(Rpc.IncidentGet, { id: incident.id })).toMatchObject({ platformWide: true });
  });

  it('re-indexes an overdue escalation whose due entry was lost, in the background repair', async () => {
    const caseId = await open('night', 'critical');
    const tier1 = await tier1Of(caseId);
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    const field = `ids.${tier1.id}`;
    await db.collection('esc_due').updateMany({ [field]: { $exists: true } }, { $unset: { [field]: '' } }); // lost
    await db.close();
    const chain = async () => (await escalationsOf(caseId)).filter((e) => e.reason === 'new_case').map((e) => e.level).sort();
    await ticker.tick(later(3000));
    expect(await chain()).toEqual(['tier1']); // nothing left to find it
    await service.app.get(RepairService).run(later(3000));
    await ticker.tick(later(3000));
    expect(await chain()).toEqual(['tier1', 'tier2']);
  });

  it("follows intake's record of the owner, even when its own request is written late (after a crash)", async () => {
    const caseId = randomUUID();
    const apply = CaseProjection.prototype.apply;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let crashes = 0;
    // Tier 1's own write (its request for the CSM) fails until intake's assignments have been handled.
    jest.spyOn(CaseProjection.prototype, 'apply').mockImplementation(async function (this: CaseProjection, id: string, fact: CaseFact) {
      if (id === caseId && fact.kind === 'escalated' && crashes >= 0) {
        crashes += 1;
        throw new Error('crash');
      }
      return apply.call(this, id, fact);
    });
    void released.then(() => (crashes = -1));
    const opened = await bus.publish(
      makeEnvelope(Events.CaseOpened, { caseId, number: ++number, accountId: 'day', channel: 'api', severity: 'critical', category: 'how-to', receivedAt: new Date().toISOString() }),
    );
    await waitFor(() => crashes > 0, 'Tier 1 interrupted');
    // Meanwhile intake recorded the CSM (asked for by the escalated event), then a person gave the case to t2.
    const by = { kind: 'staff' as const, id: 't2', name: 't2' };
    await bus.publish(makeEnvelope(Events.CaseAssigned, { caseId, accountId: 'day', at: new Date().toISOString(), by, assigneeId: 'csm-day' }));
    const handover = await bus.publish(
      makeEnvelope(Events.CaseAssigned, { caseId, accountId: 'day', at: later(1000).toISOString(), by, assigneeId: 't2', previousAssigneeId: 'csm-day' }, {}, later(1000)),
    );
    await handled(Events.CaseAssigned, handover.seq);
    release();
    await handled(Events.CaseOpened, opened.seq); // redelivered: Tier 1 finishes
    const warning = await bus.publish(
      makeEnvelope(Events.SlaWarning, {
        caseId,
        accountId: 'day',
        clock: 'first_response',
        cycle: 1,
        severity: 'critical',
        goal: { clause: 'critical · firstResponse: PT1H', policyId: 'default', policyVersion: 1, duration: 'PT1H', from: 'received', hours: 'emergency', calendarId: '24x7', calendarVersion: 1, businessSeconds: 3600 },
        dueAt: later(900_000).toISOString(),
        at: new Date().toISOString(),
        elapsedBusinessSeconds: 2700,
        remainingBusinessSeconds: 900,
        overdueBusinessSeconds: 0,
        thresholdPercent: 75,
      }),
    );
    await handled(Events.SlaWarning, warning.seq);
    const told = (await notificationsOf(caseId)).filter((n) => n.subject.startsWith('[SLA warning]'));
    expect(told.map((n) => n.recipient.staffId)).toEqual(['t2']);
  });
});
