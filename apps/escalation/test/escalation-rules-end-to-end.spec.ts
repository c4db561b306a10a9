import { AccountPayload, CaseOpenedPayload, EventEnvelope, Events, makeEnvelope, Rpc, StaffPayload, StaffRole, Streams } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { freePort, ServiceChild, SmtpSink, spawnService, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { randomUUID } from 'node:crypto';

const KEY = 'test-admin-key-0123456789';
const jsonOf = (res: Response): Promise<any> => res.json();

/** A zone where it is a weekday right now, and local hours that include (or exclude) now. */
function hoursAroundNow(include: boolean): { timeZone: string; workingHours: string } {
  for (const timeZone of ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(new Date());
    const weekday = parts.find((p) => p.type === 'weekday')!.value;
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    if (['Sat', 'Sun'].includes(weekday)) continue;
    if (include && hour >= 1 && hour <= 21) {
      return { timeZone, workingHours: `${String(hour - 1).padStart(2, '0')}:00-${String(hour + 2).padStart(2, '0')}:00` };
    }
    if (!include && hour >= 4 && hour <= 21) {
      return { timeZone, workingHours: `${String(hour - 4).padStart(2, '0')}:00-${String(hour - 2).padStart(2, '0')}:00` };
    }
  }
  throw new Error('no suitable zone found');
}

describe('escalation: the right person at the right tier', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let smtp: SmtpSink;
  let bus: NatsBus;
  let escalation: ServiceChild;
  let gateway: ServiceChild;
  let gatewayUrl: string;
  const mongoUrl = testMongoUrl('escalation_e2e');
  const atWork = hoursAroundNow(true);
  const offWork = hoursAroundNow(false);

  const http = async (path: string, method = 'GET', body?: unknown) =>
    fetch(`${gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  let version = 0;
  const staff = (id: string, roles: StaffRole[], hours = atWork): StaffPayload => ({
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
  const account = (id: string, csmId?: string): AccountPayload => ({
    id,
    name: id.toUpperCase(),
    timeZone: 'America/New_York',
    ...(csmId ? { csmId } : {}),
    contacts: [],
    emailDomains: [],
    version: 1,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  });
  const openCase = async (accountId: string, over: Partial<CaseOpenedPayload> = {}) => {
    const caseId = randomUUID();
    const e = makeEnvelope(Events.CaseOpened, {
      caseId,
      number: ++version,
      accountId,
      channel: 'api' as const,
      severity: 'normal' as const,
      category: 'how-to' as const,
      receivedAt: new Date().toISOString(),
      ...over,
    });
    await bus.publish(e);
    return { caseId, event: e };
  };
  const escalationsOf = async (caseId: string) => (await jsonOf(await http(`/v1/escalations?caseId=${caseId}`))).items;
  const mailTo = (who: string, about: string) => (m: { to?: unknown; subject?: string; text?: string }) =>
    JSON.stringify(m.to).includes(`${who}@vendor.test`) && `${m.subject}\n${m.text}`.includes(about);

  beforeAll(async () => {
    nats = await startTestNats();
    smtp = await startSmtpSink();
    bus = await NatsBus.connect(nats.url, 'test');
    await bus.ensureStreams();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    escalation = spawnService('escalation', {
      ...env,
      SLADESK_SMTP_URL: smtp.url,
      SLADESK_ESCALATION_TICK_MS: '200',
      SLADESK_NOTIFY_RETRY_MS: '200',
    });
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    gateway = spawnService('gateway', { ...env, PORT: String(port), SLADESK_ADMIN_API_KEY: KEY });
    await Promise.all([escalation.ready, gateway.ready]);

    for (const s of [
      staff('csm-ann', ['csm']),
      staff('csm-bob', ['csm']),
      staff('csm-cid', ['csm']),
      staff('csm-dan', ['csm']),
      staff('csm-nia', ['csm'], offWork),
      staff('t2-tia', ['tier2']),
      staff('t2-tom', ['tier2']),
      staff('exec-eve', ['executive']),
      staff('mgr-max', ['manager']),
    ]) {
      await bus.publish(makeEnvelope(Events.StaffCreated, s));
    }
    for (const a of [account('acme', 'csm-ann'), account('beta', 'csm-bob'), account('gamma', 'csm-cid'), account('delta', 'csm-dan'), account('night', 'csm-nia')]) {
      await bus.publish(makeEnvelope(Events.AccountCreated, a));
    }
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await waitFor(async () => (await db.collection('esc_accounts').countDocuments()) === 5 && (await db.collection('esc_staff').countDocuments()) === 9, 'directory copied');
    await db.close();
  });

  afterAll(async () => {
    await gateway?.kill();
    await escalation?.kill();
    await bus?.close();
    await smtp?.stop();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  it('assigns a new case to the account CSM and notifies them', async () => {
    const { caseId } = await openCase('acme');
    const mail = await smtp.waitFor(mailTo('csm-ann', caseId));
    expect(mail.subject).toContain('[tier1] new case');
    const [esc] = await waitFor(async () => (await escalationsOf(caseId)).length === 1 && escalationsOf(caseId), 'escalation');
    expect(esc).toMatchObject({ level: 'tier1', reason: 'new_case', assigneeId: 'csm-ann', recipients: ['csm-ann'], state: 'open' });
  });

  it('sends technical cases to Tier 2, spreading them over the least-loaded members', async () => {
    const first = await openCase('acme', { category: 'technical' });
    const second = await openCase('gamma', { category: 'technical' });
    const tier2Of = async (caseId: string) =>
      waitFor(async () => (await escalationsOf(caseId)).find((e: { level: string }) => e.level === 'tier2'), 'tier2 escalation');
    const a = await tier2Of(first.caseId);
    const b = await tier2Of(second.caseId);
    expect(a.reason).toBe('technical');
    expect(new Set([a.assigneeId, b.assigneeId])).toEqual(new Set(['t2-tia', 't2-tom']));
    await smtp.waitFor(mailTo(a.assigneeId, first.caseId));
    await smtp.waitFor(mailTo(b.assigneeId, second.caseId));
  });

  it('engages executives at the third case of one account and category within 30 days', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await openCase('beta', { category: 'billing' })).caseId);
    const third = ids[2];
    const exec = await waitFor(
      async () => (await escalationsOf(third)).find((e: { reason: string }) => e.reason === 'persistent_repeat_category'),
      'executive escalation',
    );
    expect(exec).toMatchObject({ level: 'executive', recipients: ['exec-eve'] });
    await smtp.waitFor(mailTo('exec-eve', third));
    for (const earlier of ids.slice(0, 2)) {
      expect((await escalationsOf(earlier)).some((e: { level: string }) => e.level === 'executive')).toBe(false);
    }
  });

  it('makes an incident linked to three accounts platform-wide: executives engaged, every CSM briefed', async () => {
    const acme = await openCase('acme', { severity: 'high' });
    const beta = await openCase('beta', { severity: 'high', category: 'technical' });
    const gamma = await openCase('gamma', { severity: 'high' });
    await waitFor(async () => (await escalationsOf(gamma.caseId)).length > 0, 'cases known');

    const created = await http('/v1/incidents', 'POST', { title: 'Login outage', severity: 'high', caseIds: [acme.caseId, beta.caseId] });
    expect(created.status).toBe(201);
    const incident = await jsonOf(created);
    expect(incident).toMatchObject({ platformWide: false, accountIds: expect.arrayContaining(['acme', 'beta']) });

    const linked = await jsonOf(await http(`/v1/incidents/${incident.id}/cases`, 'POST', { caseIds: [gamma.caseId] }));
    expect(linked).toMatchObject({ platformWide: true, state: 'open' });
    expect(linked.accountIds.sort()).toEqual(['acme', 'beta', 'gamma']);

    await smtp.waitFor(mailTo('exec-eve', 'Login outage'));
    for (const csm of ['csm-ann', 'csm-bob', 'csm-cid']) await smtp.waitFor(mailTo(csm, 'Platform-wide incident'));
    const escs = (await jsonOf(await http('/v1/escalations?reason=platform_wide'))).items;
    expect(escs).toHaveLength(1);
    expect(escs[0]).toMatchObject({ level: 'executive', incidentId: incident.id });

    // Every linked case is annotated through an event intake turns into a timeline entry.
    for (const c of [acme, beta, gamma]) {
      await waitFor(
        () => bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.IncidentCaseLinked }).then(() => true),
        'incident.case-linked events',
      );
      expect(c.caseId).toBeDefined();
    }
    const restored = await jsonOf(await http(`/v1/incidents/${incident.id}/restore`, 'POST', {}));
    expect(restored.state).toBe('restored');
    expect((await http(`/v1/incidents/${incident.id}/restore`, 'POST', {})).status).toBe(409);
  });

  it('repeats an unacknowledged escalation, then moves it up; an acknowledged one stops', async () => {
    // Straight to the service: the gateway checks the account against intake, which this file does not run.
    await bus.request(Rpc.PolicyPut, {
      accountId: 'delta',
      technicalToTier2: false,
      maxRepeats: 1,
      ackTimeouts: { tier1: 'PT1S', tier2: 'PT1S', executive: 'PT1S' },
    });
    const { caseId } = await openCase('delta');
    await smtp.waitFor(mailTo('csm-dan', caseId));
    const reminder = await smtp.waitFor((m) => mailTo('csm-dan', caseId)(m) && /reminder 1/.test(m.subject ?? ''), 10_000);
    expect(reminder.subject).toContain('please acknowledge');
    const up = await waitFor(
      async () => (await escalationsOf(caseId)).find((e: { level: string }) => e.level === 'tier2'),
      'moved up to tier2',
      10_000,
    );
    // The next level is engaged first, then the first one is marked superseded.
    const first = await waitFor(
      async () => (await escalationsOf(caseId)).find((e: { level: string; state: string }) => e.level === 'tier1' && e.state !== 'open'),
      'tier1 superseded',
    );
    expect(first).toMatchObject({ state: 'superseded', repeats: 1 });
    await smtp.waitFor(mailTo(up.assigneeId, caseId));

    const acked = await http(`/v1/escalations/${up.id}/ack`, 'POST', { by: up.assigneeId, note: 'on it' });
    expect(acked.status).toBe(200);
    expect(await jsonOf(acked)).toMatchObject({ state: 'acknowledged', acknowledgedBy: up.assigneeId });
    const mailsBefore = smtp.messages.filter(mailTo(up.assigneeId, caseId)).length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(smtp.messages.filter(mailTo(up.assigneeId, caseId)).length).toBe(mailsBefore);
    expect((await escalationsOf(caseId)).some((e: { level: string }) => e.level === 'executive')).toBe(false);
  });

  it('holds a non-critical notification until the recipient works, and sends a critical one at once', async () => {
    const normal = await openCase('night');
    const critical = await openCase('night', { severity: 'critical' });
    await smtp.waitFor(mailTo('csm-nia', critical.caseId));
    const held = await waitFor(async () => {
      const page = await jsonOf(await http(`/v1/notifications?caseId=${normal.caseId}`));
      return page.items[0];
    }, 'held notification');
    expect(held).toMatchObject({ state: 'pending', critical: false, recipient: { staffId: 'csm-nia' } });
    expect(Date.parse(held.sendAfter)).toBeGreaterThan(Date.now() + 60 * 60 * 1000);
    expect(smtp.messages.some(mailTo('csm-nia', normal.caseId))).toBe(false);
  });

  it('engages executives when a case stays unresolved past the policy duration, unless resolved', async () => {
    await bus.request(Rpc.PolicyPut, { accountId: 'gamma', unresolvedAfter: 'PT2S', unresolvedHours: 'always' });
    const stuck = await openCase('gamma', { category: 'other' });
    const solved = await openCase('gamma', { category: 'other' });
    await bus.publish(
      makeEnvelope(Events.CaseResolved, { caseId: solved.caseId, accountId: 'gamma', at: new Date().toISOString(), by: { kind: 'staff' as const, id: 'csm-cid', name: 'Cid' } }),
    );
    const exec = await waitFor(
      async () => (await escalationsOf(stuck.caseId)).find((e: { reason: string }) => e.reason === 'persistent_unresolved'),
      'unresolved escalation',
      10_000,
    );
    expect(exec).toMatchObject({ level: 'executive', recipients: ['exec-eve'] });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await escalationsOf(solved.caseId)).some((e: { reason: string }) => e.reason === 'persistent_unresolved')).toBe(false);
    await bus.request(Rpc.PolicyPut, { accountId: 'gamma' });
  });

  it('escalates a case reopened twice to executives', async () => {
    const { caseId } = await openCase('acme');
    await waitFor(async () => (await escalationsOf(caseId)).length > 0, 'case known');
    for (const reopenCount of [1, 2]) {
      await bus.publish(
        makeEnvelope(Events.CaseReopened, {
          caseId,
          accountId: 'acme',
          at: new Date().toISOString(),
          by: { kind: 'contact' as const, name: 'Ada' },
          reopenCount,
        }),
      );
    }
    const exec = await waitFor(
      async () => (await escalationsOf(caseId)).find((e: { reason: string }) => e.reason === 'persistent_reopened'),
      'persistent_reopened escalation',
    );
    expect(exec.level).toBe('executive');
  });

  const slaEvent = (caseId: string, accountId: string, clock: 'first_response' | 'resolution') => ({
    caseId,
    accountId,
    clock,
    cycle: 1,
    severity: 'normal' as const,
    goal: {
      clause: 'policy default v1 · normal · firstResponse: PT8H business hours',
      policyId: 'default',
      policyVersion: 1,
      duration: 'PT8H',
      from: 'received' as const,
      hours: 'business' as const,
      calendarId: 'default',
      calendarVersion: 1,
      businessSeconds: 28800,
    },
    dueAt: new Date().toISOString(),
    at: new Date().toISOString(),
    elapsedBusinessSeconds: 28800,
    remainingBusinessSeconds: 0,
    overdueBusinessSeconds: 0,
  });

  it('warns the assignee, and moves a breached case one level up (once, however often the breach arrives)', async () => {
    const { caseId } = await openCase('acme', { category: 'feature' });
    await smtp.waitFor(mailTo('csm-ann', `new case: case ${caseId}`));

    await bus.publish(makeEnvelope(Events.SlaWarning, { ...slaEvent(caseId, 'acme', 'first_response'), remainingBusinessSeconds: 7200, thresholdPercent: 75 }));
    const warning = await smtp.waitFor(mailTo('csm-ann', `[SLA warning] first response`));
    expect(warning.text).toContain('120 business minutes left');

    const breach = makeEnvelope(Events.SlaBreached, slaEvent(caseId, 'acme', 'first_response'));
    await bus.publish(breach);
    await bus.js.publish(breach.type, new TextEncoder().encode(JSON.stringify(breach)), { msgID: `${breach.eventId}-again` });
    const up = await waitFor(
      async () => (await escalationsOf(caseId)).find((e: { reason: string }) => e.reason === 'sla_breach'),
      'breach escalation',
    );
    expect(up).toMatchObject({ level: 'tier2' });
    await smtp.waitFor(mailTo(up.assigneeId, `sla breach: case ${caseId}`));
    await new Promise((r) => setTimeout(r, 1000));
    expect((await escalationsOf(caseId)).filter((e: { reason: string }) => e.reason === 'sla_breach')).toHaveLength(1);
    expect(smtp.messages.filter(mailTo(up.assigneeId, `sla breach: case ${caseId}`))).toHaveLength(1);

    // A second, distinct breach (the resolution goal) goes one level further up.
    await bus.publish(makeEnvelope(Events.SlaBreached, slaEvent(caseId, 'acme', 'resolution')));
    const exec = await waitFor(
      async () => (await escalationsOf(caseId)).find((e: { reason: string; level: string }) => e.reason === 'sla_breach' && e.level === 'executive'),
      'second breach to executive',
    );
    expect(exec.recipients).toEqual(['exec-eve']);
  });

  it('applies an event delivered twice once: one escalation, one email', async () => {
    const { caseId, event } = await openCase('gamma');
    await bus.js.publish(event.type, new TextEncoder().encode(JSON.stringify(event)), { msgID: `${event.eventId}-again` });
    await smtp.waitFor(mailTo('csm-cid', caseId));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await escalationsOf(caseId)).toHaveLength(1);
    expect(smtp.messages.filter(mailTo('csm-cid', caseId))).toHaveLength(1);
  });

  it('retries a delivery the mail relay refused, recording the failure', async () => {
    smtp.failNext(1);
    const { caseId } = await openCase('beta', { category: 'feature' });
    await smtp.waitFor(mailTo('csm-bob', caseId));
    const n = await waitFor(async () => {
      const [item] = (await jsonOf(await http(`/v1/notifications?caseId=${caseId}`))).items;
      return item?.state === 'sent' && item;
    }, 'notification marked sent');
    expect(n).toMatchObject({ state: 'sent', attempts: 2, lastError: expect.stringContaining('try again later') });
    const failed = await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.NotificationFailed });
    expect(failed!.json<EventEnvelope<{ caseId: string; final: boolean }>>().payload).toMatchObject({ caseId, accountId: 'beta', final: false });
    const sent = await bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.NotificationSent });
    expect(sent!.json<EventEnvelope<{ caseId: string; accountId: string }>>().payload).toMatchObject({ caseId, accountId: 'beta' });
  });

  it.each([
    ['acknowledging an unknown escalation', '/v1/escalations/esc_nope/ack', 'POST', { by: 'csm-ann' }, 404, 'ESCALATION.NOT_FOUND'],
    ['an incident with an unknown case', '/v1/incidents', 'POST', { title: 't', severity: 'low', caseIds: ['nope'] }, 404, 'CASE.NOT_FOUND'],
    ['a policy with a malformed timeout', '/v1/escalation-policies', 'POST', { ackTimeouts: { tier1: 'soon', tier2: 'PT1M', executive: 'PT1M' } }, 400, 'VALIDATION.FAILED'],
    ['an unknown escalation level filter', '/v1/escalations?level=ceo', 'GET', undefined, 400, 'VALIDATION.FAILED'],
    ['a manual escalation without a reason', '/v1/escalations', 'POST', { caseId: 'x' }, 400, 'VALIDATION.FAILED'],
  ] as const)('answers %s with a stable code', async (_what, path, method, body, status, code) => {
    const res = await http(path, method, body);
    expect(res.status).toBe(status);
    expect((await jsonOf(res)).code).toBe(code);
  });

  it('refuses an acknowledgement from someone who was not asked, and accepts a manual escalation', async () => {
    const { caseId } = await openCase('acme', { category: 'security' });
    const [esc] = await waitFor(async () => {
      const list = await escalationsOf(caseId);
      return list.length ? list : undefined;
    }, 'escalation');
    const refused = await http(`/v1/escalations/${esc.id}/ack`, 'POST', { by: 't2-tom' });
    expect(refused.status).toBe(403);
    expect((await jsonOf(refused)).code).toBe('ESCALATION.NOT_A_RECIPIENT');
    const byManager = await http(`/v1/escalations/${esc.id}/ack`, 'POST', { by: 'mgr-max' });
    expect(byManager.status).toBe(200);

    const manual = await http('/v1/escalations', 'POST', { caseId, reason: 'Customer threatens to churn' });
    expect(manual.status).toBe(201);
    expect(await jsonOf(manual)).toMatchObject({ level: 'tier2', reason: 'manual', detail: 'Customer threatens to churn' });
  });
});
