import { AccountPayload, EscalationView, EventEnvelope, Events, makeEnvelope, NotificationOutcomePayload, NotificationView, Rpc, StaffPayload, Streams } from '@sladesk/contracts';
import { bootstrapService, consumerName, loadConfig, NatsBus, ServiceProcess } from '@sladesk/messaging';
import { SmtpSink, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { randomUUID } from 'node:crypto';
import { EscalationModule } from '../src/app.module';
import { EscalationEnv } from '../src/config';
import { TickerService } from '../src/ticker.service';

/** A zone where it is a weekday now, and working hours there that exclude now (so notifications are held). */
function hoursExcludingNow(): { timeZone: string; workingHours: string } {
  for (const timeZone of ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(new Date());
    const weekday = parts.find((p) => p.type === 'weekday')!.value;
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    if (['Sat', 'Sun'].includes(weekday)) continue;
    if (hour >= 4 && hour <= 21) return { timeZone, workingHours: `${String(hour - 4).padStart(2, '0')}:00-${String(hour - 2).padStart(2, '0')}:00` };
  }
  throw new Error('no suitable zone found');
}

/**
 * Staff notifications are deliveries of `@sladesk/outbound` (topic `escalation`). What the earlier
 * version left in its own `notifications` collection is moved at start and still sent (a pending one
 * at once, a held one at its time), keeping its id; a held notification of an escalation acknowledged
 * meanwhile is not sent (outbound asks escalation first).
 */
describe('escalation: notifications go through outbound, and those of the earlier version survive the upgrade', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let smtp: SmtpSink;
  let bus: NatsBus;
  let service: ServiceProcess;
  let ticker: TickerService;
  const mongoUrl = testMongoUrl('escalation_outbound_upgrade');
  const caseId = randomUUID();
  const now = Date.now();
  const old = (id: string, over: object) => ({
    _id: id,
    caseId,
    accountId: 'acme',
    escalationId: `esc_old_${id}`,
    repeat: 0,
    recipient: { staffId: 'carla', name: 'Carla', email: 'carla@vendor.test' },
    channels: ['email'],
    subject: `[tier1] new case: case ${caseId} (${id})`,
    text: `Written by the earlier version (${id}).`,
    critical: false,
    state: 'pending',
    sendAfter: new Date(now - 60_000),
    leaseUntil: new Date(0),
    attempts: 0,
    outbox: [],
    createdAt: new Date(now - 120_000),
    updatedAt: new Date(now - 120_000),
    ...over,
  });
  const heldUntil = new Date(now + 2 * 3600_000);
  const list = async (): Promise<NotificationView[]> => (await bus.request(Rpc.NotificationList, { limit: 200 })).items;
  const outcomes = async (subject: string) => {
    const out: NotificationOutcomePayload[] = [];
    const info = await bus.jsm.streams.info(Streams.Events.name);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await bus.jsm.streams.getMessage(Streams.Events.name, { seq }).catch(() => null);
      if (m?.subject === subject) out.push(m.json<EventEnvelope<NotificationOutcomePayload>>().payload);
    }
    return out;
  };

  beforeAll(async () => {
    nats = await startTestNats();
    smtp = await startSmtpSink();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    // What the earlier version left: one due, one held for working hours, one already sent.
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.collection('notifications').insertMany([
      old('ntf_olddue', {}),
      old('ntf_oldheld', { sendAfter: heldUntil }),
      old('ntf_oldsent', { state: 'sent', attempts: 1, sentAt: new Date(now - 100_000), updatedAt: new Date(now - 100_000) }),
    ] as never[]);
    await db.close();
    const config = loadConfig(
      EscalationEnv,
      {
        NATS_URL: nats.url,
        MONGO_URL: mongoUrl,
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        SLADESK_SMTP_URL: smtp.url,
        SLADESK_ESCALATION_TICK_MS: '3600000', // the test ticks
        SLADESK_OUTBOUND_TICK_MS: '200',
      },
      { exitOnError: false },
    );
    service = await bootstrapService({ service: 'escalation', config, module: (runtime, c) => EscalationModule.forRoot(runtime, c), handleSignals: false });
    ticker = service.app.get(TickerService);
  });

  afterAll(async () => {
    await service?.stop();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await bus?.close();
    await smtp?.stop();
    await nats.cleanup();
  });

  it('sends a pending notification of the earlier version once, with its id, and keeps the sent one listed', async () => {
    const mail = await smtp.waitFor((m) => (m.subject ?? '').includes('(ntf_olddue)'));
    expect(mail.headers.get('x-sladesk-notification-id')).toBe('ntf_olddue');
    expect(mail.headers.get('x-sladesk-case-id')).toBe(caseId);
    expect(mail.messageId).toMatch(/^<ntf_olddue@/);
    const sent = await waitFor(async () => (await list()).find((n) => n.id === 'ntf_olddue' && n.state === 'sent'), 'moved and sent');
    expect(sent).toMatchObject({ caseId, escalationId: 'esc_old_ntf_olddue', recipient: { staffId: 'carla', email: 'carla@vendor.test' }, attempts: 1 });
    const events = await waitFor(async () => {
      const e = (await outcomes(Events.NotificationSent)).filter((p) => p.notificationId === 'ntf_olddue');
      return e.length ? e : undefined;
    }, 'notification.sent');
    expect(events).toEqual([expect.objectContaining({ notificationId: 'ntf_olddue', caseId, accountId: 'acme', staffId: 'carla', email: 'carla@vendor.test', attempts: 1 })]);
    expect(await outcomes(Events.DeliverySent)).toEqual([]); // escalation's own subjects, not outbound's
    expect((await list()).find((n) => n.id === 'ntf_oldsent')).toMatchObject({ state: 'sent', attempts: 1 });
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    expect(await db.collection('notifications').countDocuments()).toBe(0);
    await db.close();
    expect(smtp.messages.filter((m) => (m.subject ?? '').includes('(ntf_olddue)'))).toHaveLength(1);
  });

  it('holds a moved notification until its time, then sends it', async () => {
    const held = await waitFor(async () => (await list()).find((n) => n.id === 'ntf_oldheld'), 'moved held notification');
    expect(held).toMatchObject({ state: 'pending', sendAfter: heldUntil.toISOString() });
    await ticker.tick(new Date(heldUntil.getTime() - 60_000));
    expect(smtp.messages.some((m) => (m.subject ?? '').includes('(ntf_oldheld)'))).toBe(false);
    await ticker.tick(new Date(heldUntil.getTime() + 1000));
    await smtp.waitFor((m) => (m.subject ?? '').includes('(ntf_oldheld)'));
  });

  it('does not send a held notification whose escalation was acknowledged meanwhile', async () => {
    const staff: StaffPayload = {
      id: 'nina',
      name: 'Nina',
      email: 'nina@vendor.test',
      roles: ['csm'],
      active: true,
      ...hoursExcludingNow(),
      version: 1,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    const account: AccountPayload = { id: 'night', name: 'Night', timeZone: 'UTC', csmId: 'nina', contacts: [], emailDomains: [], version: 1, createdAt: staff.createdAt, updatedAt: staff.createdAt };
    await bus.publish(makeEnvelope(Events.StaffCreated, staff));
    const seq = (await bus.publish(makeEnvelope(Events.AccountCreated, account))).seq;
    await waitFor(async () => (await bus.jsm.consumers.info(Streams.Events.name, consumerName('escalation', Events.AccountCreated))).ack_floor.stream_seq >= seq, 'account');
    await waitFor(async () => (await bus.jsm.consumers.info(Streams.Events.name, consumerName('escalation', Events.StaffCreated))).ack_floor.consumer_seq >= 1, 'staff');
    const id = randomUUID();
    await bus.publish(makeEnvelope(Events.CaseOpened, { caseId: id, number: 1, accountId: 'night', channel: 'api', severity: 'normal', category: 'how-to', receivedAt: new Date().toISOString() }));
    const tier1 = (await waitFor(async () => (await bus.request(Rpc.EscalationList, { caseId: id })).items[0], 'Tier 1')) as EscalationView;
    const [held] = (await waitFor(async () => {
      const items = (await bus.request(Rpc.NotificationList, { caseId: id })).items;
      return items.length ? items : undefined;
    }, 'held notification')) as NotificationView[];
    expect(held).toMatchObject({ state: 'pending', critical: false, recipient: { staffId: 'nina' } });
    await bus.request(Rpc.EscalationAck, { id: tier1.id, by: 'nina' });
    await ticker.tick(new Date(Date.parse(held.sendAfter) + 1000));
    const after = await waitFor(async () => (await bus.request(Rpc.NotificationList, { caseId: id })).items.find((n) => n.state !== 'pending'), 'settled');
    expect(after).toMatchObject({ id: held.id, state: 'cancelled', attempts: 0 });
    expect(smtp.messages.some((m) => JSON.stringify(m.to).includes('nina@'))).toBe(false);
  });
});
