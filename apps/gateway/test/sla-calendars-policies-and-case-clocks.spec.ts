import { CaseEvents, makeEnvelope } from '@sladesk/contracts';
import { loadConfig, NatsBus } from '@sladesk/messaging';
import { ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { GatewayEnv } from '../src/config';
import { Gateway, startGateway } from '../src/gateway';

const KEY = 'test-admin-key-0123456789';
const jsonOf = (res: Response): Promise<any> => res.json();

const berlinHours = {
  zone: 'Europe/Berlin',
  windows: [{ days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: { time: '09:00', zone: 'Europe/Berlin' }, end: { time: '17:00', zone: 'Europe/Berlin' } }],
  holidays: [{ date: '2025-12-25', name: 'Christmas' }],
};

describe('SLA API: calendars, policies and a case’s clocks through the gateway', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let gateway: Gateway;
  let sla: ServiceChild;
  const mongoUrl = testMongoUrl('gw_sla');

  const http = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${KEY}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${gateway.url}${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  };
  const opened = (caseId: string, accountId: string, receivedAt: string, severity: 'high' | 'low' = 'high') =>
    bus.publish(makeEnvelope(CaseEvents.CaseOpened, { caseId, number: 1, accountId, channel: 'api', severity, category: 'technical', receivedAt: new Date(receivedAt).toISOString() }));
  const clocksOf = (caseId: string) =>
    waitFor(async () => {
      const res = await http(`/v1/cases/${caseId}/sla`);
      return res.status === 200 ? jsonOf(res) : null;
    }, `clocks of ${caseId}`);

  beforeAll(async () => {
    nats = await startTestNats();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    sla = spawnService('sla', { ...env, SLADESK_SLA_REGISTRY_REFRESH_MS: '500' });
    await sla.ready;
    gateway = await startGateway(loadConfig(GatewayEnv, { ...env, PORT: '0', LOG_LEVEL: 'silent', SLADESK_ADMIN_API_KEY: KEY }, {}));
    bus = await NatsBus.connect(nats.url, 'test');
  });

  afterAll(async () => {
    await gateway?.stop();
    await sla?.kill();
    await bus?.close();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  it('seeds the default contract: its calendars and the default policy', async () => {
    const calendars = await jsonOf(await http('/v1/calendars'));
    expect(calendars.map((c: { id: string }) => c.id).sort()).toEqual(['24x7', 'default-contract']);
    const contract = await jsonOf(await http('/v1/calendars/default-contract'));
    expect(contract).toMatchObject({ version: 1, builtin: true, spec: { holidayRules: [{ rule: 'us-federal' }] }, now: { open: expect.any(Boolean) } });
    const policy = await jsonOf(await http('/v1/sla-policies/default'));
    expect(policy).toMatchObject({
      isDefault: true,
      calendarId: 'default-contract',
      emergencyCalendarId: '24x7',
      warningThreshold: 0.75,
      pauseStatuses: ['waiting_on_customer'],
      goals: {
        critical: { firstResponse: { duration: 'PT1H', hours: 'emergency' } },
        high: { firstResponse: { duration: 'PT4H', hours: 'business' } },
        normal: { firstResponse: { duration: 'PT8H' } },
        low: { firstResponse: { duration: 'PT2H', from: 'next_business_day' } },
      },
    });
  });

  it('times a high case received Friday 17:30 Los Angeles to Monday 11:30 New York, and skips Thanksgiving', async () => {
    await opened('friday', 'acme', '2025-11-14T17:30:00-08:00');
    await opened('thanksgiving', 'acme', '2025-11-26T17:30:00-08:00');
    const friday = await clocksOf('friday');
    const fr = friday.clocks.find((c: { clock: string }) => c.clock === 'first_response');
    expect(fr).toMatchObject({ dueAt: new Date('2025-11-17T11:30:00-05:00').toISOString(), goal: { duration: 'PT4H', businessSeconds: 14_400 }, breached: true });
    expect(fr.goal.clause).toContain('high · firstResponse: PT4H');
    const thanksgiving = await clocksOf('thanksgiving');
    expect(thanksgiving.clocks.find((c: { clock: string }) => c.clock === 'first_response').dueAt).toBe(new Date('2025-11-28T11:30:00-05:00').toISOString());
  });

  it("gives an account in Europe its own calendar and goals", async () => {
    const cal = await http('/v1/calendars', { method: 'POST', json: { id: 'berlin-office', name: 'Berlin office hours', spec: berlinHours } });
    expect(cal.status).toBe(201);
    expect(await jsonOf(cal)).toMatchObject({ id: 'berlin-office', version: 1, builtin: false });
    const res = await http('/v1/sla-policies', {
      method: 'POST',
      json: { accountId: 'eu-customer', name: 'EU customer', calendarId: 'berlin-office', goals: { high: { firstResponse: { duration: 'PT2H' } } } },
    });
    expect(res.status).toBe(201);
    const policy = await jsonOf(res);
    expect(policy).toMatchObject({ accountId: 'eu-customer', isDefault: false, version: 1, calendarId: 'berlin-office' });
    expect(policy.goals.high.firstResponse).toEqual({ duration: 'PT2H', from: 'received', hours: 'business' });
    expect(policy.goals.normal.firstResponse).toEqual({ duration: 'PT8H', from: 'received', hours: 'business' });
    expect((await jsonOf(await http('/v1/sla-policies?accountId=eu-customer'))).map((p: { id: string }) => p.id)).toEqual([policy.id]);

    await new Promise((r) => setTimeout(r, 700)); // the sla instance re-read its policies
    // Friday 16:30 Berlin: 30 minutes left that day, 90 on Monday from 09:00
    await opened('eu-1', 'eu-customer', '2025-11-14T16:30:00+01:00');
    const clocks = await clocksOf('eu-1');
    expect(clocks.policy).toMatchObject({ id: policy.id, version: 1 });
    expect(clocks.clocks.find((c: { clock: string }) => c.clock === 'first_response').dueAt).toBe(new Date('2025-11-17T10:30:00+01:00').toISOString());
  });

  it('versions a calendar and refuses a stale update', async () => {
    const put = (expectedVersion: number) =>
      http('/v1/calendars/berlin-office', { method: 'PUT', json: { name: 'Berlin office hours (winter)', spec: { ...berlinHours, holidays: [] }, expectedVersion } });
    const ok = await put(1);
    expect(ok.status).toBe(200);
    expect(await jsonOf(ok)).toMatchObject({ version: 2, name: 'Berlin office hours (winter)' });
    const stale = await put(1);
    expect(stale.status).toBe(409);
    expect((await jsonOf(stale)).code).toBe('SLA.VERSION_CONFLICT');
  });

  it.each([
    ['an unknown time zone', 'POST', '/v1/calendars', { name: 'x', spec: { windows: [{ days: ['MON'], start: { time: '09:00', zone: 'Mars/Olympus' }, end: { time: '17:00', zone: 'Mars/Olympus' } }] } }, 400, 'CALENDAR.INVALID_SPEC'],
    ['a calendar without a spec', 'POST', '/v1/calendars', { name: 'x' }, 400, 'VALIDATION.FAILED'],
    ['a calendar id taken', 'POST', '/v1/calendars', { id: '24x7', name: 'again', spec: berlinHours }, 409, 'CALENDAR.ALREADY_EXISTS'],
    ['an unknown calendar', 'GET', '/v1/calendars/nowhere', undefined, 404, 'CALENDAR.NOT_FOUND'],
    ['a goal that is not a duration', 'POST', '/v1/sla-policies', { accountId: 'x1', name: 'x', goals: { high: { firstResponse: { duration: '4 hours' } } } }, 400, 'VALIDATION.FAILED'],
    ['a zero goal', 'POST', '/v1/sla-policies', { accountId: 'x1', name: 'x', goals: { high: { firstResponse: { duration: 'PT0S' } } } }, 400, 'SLA_POLICY.INVALID'],
    ['a policy for no account', 'POST', '/v1/sla-policies', { name: 'x' }, 400, 'SLA_POLICY.INVALID'],
    ['a policy on an unknown calendar', 'POST', '/v1/sla-policies', { accountId: 'x2', name: 'x', calendarId: 'nowhere' }, 404, 'CALENDAR.NOT_FOUND'],
    ['a second policy for an account', 'POST', '/v1/sla-policies', { accountId: 'eu-customer', name: 'again' }, 409, 'SLA_POLICY.ACCOUNT_HAS_POLICY'],
    ['an unknown policy', 'GET', '/v1/sla-policies/nope', undefined, 404, 'SLA_POLICY.NOT_FOUND'],
    ['the clocks of an unknown case', 'GET', '/v1/cases/nope/sla', undefined, 404, 'CASE.NOT_FOUND'],
    ['a bad case id', 'GET', '/v1/cases/$where/sla', undefined, 400, 'VALIDATION.FAILED'],
  ] as const)('answers %s with a stable error code', async (_what, method, path, json, status, code) => {
    const res = await http(path, { method, json });
    expect(res.status).toBe(status);
    expect((await jsonOf(res)).code).toBe(code);
  });

  it('changes the default policy: open cases are re-timed from their history', async () => {
    await opened('retimed', 'acme', '2025-11-17T09:00:00-05:00');
    expect((await clocksOf('retimed')).clocks.find((c: { clock: string }) => c.clock === 'first_response').dueAt).toBe(new Date('2025-11-17T13:00:00-05:00').toISOString());
    const res = await http('/v1/sla-policies/default', { method: 'PUT', json: { name: 'Default contract', goals: { high: { firstResponse: { duration: 'PT6H' } } } } });
    expect(res.status).toBe(200);
    expect((await jsonOf(res)).version).toBe(2);
    await waitFor(
      async () => (await clocksOf('retimed')).clocks.find((c: { clock: string }) => c.clock === 'first_response').dueAt === new Date('2025-11-17T15:00:00-05:00').toISOString(),
      'first response re-timed',
      20_000,
      200,
    );
  });
});
