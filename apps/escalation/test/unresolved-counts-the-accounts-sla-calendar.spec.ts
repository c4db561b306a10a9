import { addBusinessSeconds, compileCalendar, WeeklyCalendarSpec } from '@sladesk/business-time';
import { Events, makeEnvelope, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startSmtpSink, SmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose, { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';

/**
 * "Unresolved for too long" counts the support hours of the account's own SLA calendar, as the sla
 * service holds it (learned from the case's SLA clock events, read over its RPCs), not a default.
 */
describe('escalation: unresolved for too long, in the account’s own support hours', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let smtp: SmtpSink;
  let bus: NatsBus;
  let sla: ServiceChild;
  let escalation: ServiceChild;
  let db: Connection;
  const escUrl = testMongoUrl('escalation_sla_calendar');
  const slaUrl = testMongoUrl('sla_for_escalation');
  // Sixteen hours a day, every day: 30 business hours end at a different instant than on the default contract's.
  const spec: WeeklyCalendarSpec = {
    version: 1,
    name: 'Acme support',
    zone: 'UTC',
    windows: [{ days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], start: { time: '06:00', zone: 'UTC' }, end: { time: '22:00', zone: 'UTC' } }],
  };

  beforeAll(async () => {
    nats = await startTestNats();
    smtp = await startSmtpSink();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    sla = spawnService('sla', { NATS_URL: nats.url, MONGO_URL: slaUrl });
    escalation = spawnService('escalation', { NATS_URL: nats.url, MONGO_URL: escUrl, SLADESK_SMTP_URL: smtp.url });
    await Promise.all([sla.ready, escalation.ready]);
    db = await mongoose.createConnection(escUrl).asPromise();
  });

  afterAll(async () => {
    await escalation?.kill();
    await sla?.kill();
    await bus?.close();
    await smtp?.stop();
    await db?.dropDatabase();
    await db?.close();
    const s = await mongoose.createConnection(slaUrl).asPromise();
    await s.dropDatabase();
    await s.close();
    await nats.cleanup();
  });

  it('arms the rule 30 support hours of the account’s calendar after receipt', async () => {
    await bus.request(Rpc.CalendarCreate, { id: 'acme-support', name: 'Acme support', spec: spec as unknown as Record<string, unknown> });
    await bus.request(Rpc.SlaPolicyCreate, { name: 'Acme', accountId: 'acme', calendarId: 'acme-support' });
    await bus.request(Rpc.PolicyPut, { accountId: 'acme', unresolvedAfter: 'PT30H', unresolvedHours: 'support_hours' });

    const caseId = randomUUID();
    const receivedAt = new Date(Date.now() - 60_000);
    await bus.publish(
      makeEnvelope(Events.CaseOpened, { caseId, number: 1, accountId: 'acme', channel: 'api', severity: 'normal', category: 'how-to', receivedAt: receivedAt.toISOString() }),
    );
    const expected = addBusinessSeconds(compileCalendar(spec), receivedAt, 30 * 3600);
    const state = await waitFor(async () => {
      const c = await db.collection('esc_cases').findOne({ _id: caseId as never });
      return c?.unresolvedDueAt?.getTime() === expected.getTime() && c;
    }, `unresolvedDueAt = ${expected.toISOString()}`);
    expect(state).toMatchObject({ slaPolicy: { id: expect.any(String), version: 1 }, unresolvedArmedFor: `${receivedAt.toISOString()}|acme-support:1` });
  });
});
