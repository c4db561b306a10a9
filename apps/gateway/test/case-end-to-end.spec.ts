import { EventEnvelope, Events, Streams } from '@sladesk/contracts';
import { loadConfig, NatsBus } from '@sladesk/messaging';
import { freePort, ServiceChild, spawnService, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { GatewayEnv } from '../src/config';
import { Gateway, startGateway } from '../src/gateway';

/** Response bodies are read as loosely typed JSON; the assertions check their shape. */
const jsonOf = (res: Response): Promise<any> => res.json();

const KEY = 'test-admin-key-0123456789';
const SERVICES = ['intake', 'reporting', 'sla', 'escalation', 'maintenance'];

describe('one case end to end: HTTP → gateway → NATS → intake → MongoDB → event → reporting', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let bus: NatsBus;
  let gateway: Gateway;
  let children: Record<string, ServiceChild> = {};
  const mongoUrl = testMongoUrl('e2e');

  const http = (path: string, init: RequestInit & { key?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? KEY}`);
    if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(`${gateway.url}${path}`, { ...init, headers });
  };
  const inquiry = (over: Record<string, unknown> = {}) => ({
    accountId: 'acme',
    contact: { name: 'Ada Lovelace', email: 'Ada@Acme.test' },
    channel: 'api',
    subject: 'Cannot log in',
    description: 'Since this morning the login page spins forever.',
    severity: 'high',
    category: 'technical',
    ...over,
  });

  beforeAll(async () => {
    nats = await startTestNats();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    const smtpPort = String(await freePort());
    children = Object.fromEntries(SERVICES.map((s) => [s, spawnService(s, s === 'intake' ? { ...env, SLADESK_SMTP_PORT: smtpPort } : env)]));
    await Promise.all(Object.values(children).map((c) => c.ready));
    gateway = await startGateway(
      loadConfig(GatewayEnv, { ...env, PORT: '0', LOG_LEVEL: 'silent', SLADESK_ADMIN_API_KEY: KEY, SLADESK_BODY_LIMIT: '4096' }, {}),
    );
    bus = await NatsBus.connect(nats.url, 'test');
    for (const id of ['acme', 'pager']) {
      expect((await http('/v1/accounts', { method: 'POST', body: JSON.stringify({ id, name: id, timeZone: 'America/New_York' }) })).status).toBe(201);
    }
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(Object.values(children).map((c) => c.kill()));
    await bus?.close();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await nats.cleanup();
  });

  it('reports NATS, MongoDB and every service up', async () => {
    const res = await http('/health', { key: null });
    expect(res.status).toBe(200);
    const body = await jsonOf(res);
    expect(body).toMatchObject({ status: 'up', nats: 'up', mongodb: 'up' });
    expect(body.services.map((s: { service: string }) => s.service).sort()).toEqual([...SERVICES].sort());
    for (const s of body.services) expect(s).toMatchObject({ status: 'up', checks: { nats: 'up', mongodb: 'up' } });
  });

  it('records a case, returns it, announces it and counts it', async () => {
    const res = await http('/v1/cases', {
      method: 'POST',
      body: JSON.stringify(inquiry()),
      headers: { 'x-correlation-id': 'corr-e2e-1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-correlation-id')).toBe('corr-e2e-1');
    const created = await jsonOf(res);
    expect(created).toMatchObject({
      accountId: 'acme',
      contact: { name: 'Ada Lovelace', email: 'ada@acme.test' },
      severity: 'high',
      category: 'technical',
      status: 'new',
    });
    expect(created.number).toBeGreaterThan(0);

    const got = await http(`/v1/cases/${created.id}`);
    expect(got.status).toBe(200);
    expect(await jsonOf(got)).toMatchObject({ id: created.id, subject: 'Cannot log in' });

    const msg = await waitFor(
      () => bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.CaseOpened }).catch(() => null),
      'case.opened in the stream',
    );
    const event = msg!.json<EventEnvelope<{ caseId: string }>>();
    expect(event.payload.caseId).toBe(created.id);
    expect(event.correlationId).toBe('corr-e2e-1');
    expect(msg!.header.get('Nats-Msg-Id')).toBe(event.eventId);

    const day = created.receivedAt.slice(0, 10);
    await waitFor(
      async () => (await bus.request('sladesk.rpc.reporting.case-counts.get.v1', { from: day, to: day, accountId: 'acme' })).opened === 1,
      'reporting counted the case',
    );
  });

  it('answers a retry with the same Idempotency-Key with the first case, and refuses the key for another body', async () => {
    const send = (body: object) =>
      http('/v1/cases', { method: 'POST', body: JSON.stringify(body), headers: { 'idempotency-key': 'retry-42' } });
    const first = await jsonOf(await send(inquiry({ subject: 'Export fails' })));
    const again = await send(inquiry({ subject: 'Export fails' }));
    expect(again.status).toBe(201);
    expect((await jsonOf(again)).id).toBe(first.id);
    const other = await send(inquiry({ subject: 'Something else' }));
    expect(other.status).toBe(422);
    expect((await jsonOf(other)).code).toBe('IDEMPOTENCY.KEY_REUSED');
    const list = await jsonOf(await http('/v1/cases?accountId=acme&limit=200'));
    expect(list.items.filter((c: { subject: string }) => c.subject === 'Export fails')).toHaveLength(1);
  });

  it('pages through cases newest first with a cursor', async () => {
    for (const s of ['p1', 'p2', 'p3']) {
      expect((await http('/v1/cases', { method: 'POST', body: JSON.stringify(inquiry({ accountId: 'pager', subject: s })) })).status).toBe(201);
    }
    const page1 = await jsonOf(await http('/v1/cases?accountId=pager&limit=2'));
    expect(page1.items.map((c: { subject: string }) => c.subject)).toEqual(['p3', 'p2']);
    expect(page1.nextCursor).toBeDefined();
    const page2 = await jsonOf(await http(`/v1/cases?accountId=pager&limit=2&cursor=${page1.nextCursor}`));
    expect(page2.items.map((c: { subject: string }) => c.subject)).toEqual(['p1']);
    expect(page2.nextCursor).toBeUndefined();
  });

  it.each([
    ['no API key', { method: 'GET', key: null }, '/v1/cases', 401, 'AUTH.MISSING_KEY'],
    ['a wrong API key', { method: 'GET', key: 'wrong-key-wrong-key' }, '/v1/cases', 401, 'AUTH.INVALID_KEY'],
    ['an unknown field', { method: 'POST', body: JSON.stringify(inquiry({ priority: 1 })) }, '/v1/cases', 400, 'VALIDATION.FAILED'],
    ['a malformed email', { method: 'POST', body: JSON.stringify(inquiry({ contact: { name: 'x', email: 'nope' } })) }, '/v1/cases', 400, 'VALIDATION.FAILED'],
    ['an unknown severity', { method: 'POST', body: JSON.stringify(inquiry({ severity: 'urgent' })) }, '/v1/cases', 400, 'VALIDATION.FAILED'],
    ['malformed JSON', { method: 'POST', body: '{"accountId":' }, '/v1/cases', 400, 'REQUEST.MALFORMED'],
    ['a JSON array', { method: 'POST', body: '[]' }, '/v1/cases', 400, 'VALIDATION.FAILED'],
    ['an oversized body', { method: 'POST', body: JSON.stringify(inquiry({ description: 'x'.repeat(5000) })) }, '/v1/cases', 413, 'REQUEST.TOO_LARGE'],
    ['an unknown case', { method: 'GET' }, '/v1/cases/0000-missing', 404, 'CASE.NOT_FOUND'],
    ['an unknown account', { method: 'POST', body: JSON.stringify(inquiry({ accountId: 'nobody' })) }, '/v1/cases', 404, 'ACCOUNT.NOT_FOUND'],
    ['a bad case id', { method: 'GET' }, '/v1/cases/$where', 400, 'VALIDATION.FAILED'],
    ['a forged cursor', { method: 'GET' }, '/v1/cases?cursor=Zm9v', 400, 'PAGINATION.BAD_CURSOR'],
    ['a bad limit', { method: 'GET' }, '/v1/cases?limit=0', 400, 'VALIDATION.FAILED'],
    ['an unknown route', { method: 'GET' }, '/v1/nothing-here', 404, 'ROUTE.NOT_FOUND'],
  ] as const)('answers %s with a stable error code', async (_what, init, path, status, code) => {
    const res = await http(path, init as RequestInit & { key?: string | null });
    expect(res.status).toBe(status);
    const body = await jsonOf(res);
    expect(body.code).toBe(code);
    expect(typeof body.message).toBe('string');
  });

  it('publishes its API as OpenAPI and serves the docs page', async () => {
    const spec = await jsonOf(await http('/openapi.json', { key: null }));
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/cases', '/v1/cases/{id}', '/health', '/metrics']));
    expect(spec.components.schemas.CreateCaseRequest.properties).toHaveProperty('accountId');
    expect(spec.components.schemas.Error.properties.code.enum).toContain('CASE.NOT_FOUND');
    const docs = await http('/docs', { key: null });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('exposes Prometheus metrics of the gateway and the services', async () => {
    const text = await (await http('/metrics', { key: null })).text();
    expect(text).toContain('sladesk_http_request_seconds');
    expect(text).toMatch(/sladesk_messages_handled_total\{[^}]*service="reporting"/);
    expect(text).toMatch(/sladesk_outbox_published_total\{[^}]*service="intake"/);
    // the cases of the tests above are in sla's bounded cache of case histories
    expect(text).toMatch(/sladesk_sla_case_histories_cached\{[^}]*service="sla"[^}]*\} [1-9]/);
  });

  it('answers 503 with a code, and reports the service down, when intake is not running', async () => {
    await children.intake.kill();
    const res = await http('/v1/cases', { method: 'POST', body: JSON.stringify(inquiry()) });
    expect(res.status).toBe(503);
    expect((await jsonOf(res)).code).toBe('SERVICE.UNAVAILABLE');
    const health = await http('/health', { key: null });
    expect(health.status).toBe(503);
    const body = await jsonOf(health);
    expect(body.services.find((s: { service: string }) => s.service === 'intake')).toMatchObject({ status: 'down' });
  });
});
