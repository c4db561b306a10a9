import { Rpc } from '@sladesk/contracts';
import type { Msg } from '@nats-io/nats-core';
import { Gateway } from '../src/gateway';
import { seedAcme, Stack, startStack } from './stack';
import { caller, envOf, gatewayOn, json } from './security-kit';

const inquiry = () => ({ accountId: 'acme', contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: 'Login', description: 'Spins.', severity: 'low' });

/** Valid bodies, each answered 2xx as it is; the corpus below turns each into an attack. */
const BODIES: [string, string, () => Record<string, unknown>][] = [
  ['POST', '/v1/cases', inquiry],
  ['POST', '/v1/accounts', () => ({ name: 'Injected', timeZone: 'UTC' })],
  ['PATCH', '/v1/accounts/acme', () => ({ name: 'Acme' })],
  ['POST', '/v1/api-keys', () => ({ name: 'probe', roles: ['agent'] })],
];

/** Operator injection in bodies: a value replaced by an operator object, `$` keys at the top and deep inside, prototype keys. */
const BODY_ATTACKS: [string, (b: Record<string, unknown>) => string][] = [
  ['a value that is {"$gt": ""}', (b) => JSON.stringify(replaceFirst(b, { $gt: '' }))],
  ['a value that is {"$ne": null}', (b) => JSON.stringify(replaceFirst(b, { $ne: null }))],
  ['a value that is {"$regex": ".*"}', (b) => JSON.stringify(replaceFirst(b, { $regex: '.*' }))],
  ['a value that is {"$where": …}', (b) => JSON.stringify(replaceFirst(b, { $where: 'sleep(100) || true' }))],
  ['a top-level $where', (b) => JSON.stringify({ ...b, $where: 'function () { return true }' })],
  ['a top-level $set', (b) => JSON.stringify({ ...b, $set: { status: 'closed' } })],
  ['a $-key deep inside', (b) => JSON.stringify({ ...b, deep: { deeper: [{ $expr: { $eq: [1, 1] } }] } })],
  ['a constructor.prototype key', (b) => JSON.stringify({ ...b, constructor: { prototype: { polluted: true } } })],
  ['a __proto__ key', (b) => `{"__proto__":{"polluted":true},${JSON.stringify(b).slice(1)}`],
];

/** The same in query strings (what Fastify's parser makes of brackets, `$` names, JSON in a value, repeated names). */
const QUERY_ROUTES = ['/v1/cases', '/v1/accounts', '/v1/escalations', '/v1/audit', '/v1/api-keys', '/v1/reports/sla-compliance', '/v1/cases/x1/timeline'];
const QUERY_ATTACKS = [
  'accountId[$gt]=',
  'accountId[$ne]=nobody',
  '$where=1',
  'status[$in][]=open',
  `accountId=${encodeURIComponent('{"$gt":""}')}`,
  'cursor[$gt]=',
  'limit[$gt]=0',
  '%24where=sleep(100)',
  'accountId=acme&accountId[$ne]=x',
];

function replaceFirst(b: Record<string, unknown>, operator: unknown): Record<string, unknown> {
  const [k] = Object.keys(b);
  return { ...b, [k]: operator };
}

describe('hostile input: operator injection refused before anything is forwarded; security headers; CORS closed by default', () => {
  let stack: Stack;
  let withCors: Gateway;
  const forwarded: string[] = [];

  beforeAll(async () => {
    stack = await startStack('security_input');
    await seedAcme(stack);
    withCors = await gatewayOn(envOf(stack.gateway), { SLADESK_CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' });
    stack.bus.nc.subscribe('sladesk.rpc.>', { callback: (_e, m: Msg) => void forwarded.push(m.subject) });
    await stack.bus.nc.flush();
  });

  afterAll(async () => {
    await withCors?.stop();
    await stack?.stop();
  });

  it('answers each valid body as usual (the corpus below changes only the attack)', async () => {
    for (const [method, path, body] of BODIES) {
      const res = await stack.http(path, { method, json: body() });
      expect({ path, status: res.status }).toEqual({ path, status: expect.any(Number) });
      expect(res.status).toBeLessThan(300);
    }
  });

  it('refuses every operator injection, in bodies and in query strings, with 400 — and forwards none of them', async () => {
    forwarded.length = 0;
    const answers: string[] = [];
    for (const [method, path, body] of BODIES) {
      for (const [attack, make] of BODY_ATTACKS) {
        const res = await stack.http(path, { method, body: make(body()), headers: { 'content-type': 'application/json' } });
        const code = (await json(res)).code;
        answers.push(`${method} ${path} with ${attack}: ${res.status} ${code}`);
        expect({ attack: `${method} ${path} with ${attack}`, status: res.status, code }).toEqual({
          attack: `${method} ${path} with ${attack}`,
          status: 400,
          code: expect.stringMatching(/^(REQUEST\.OPERATOR_REJECTED|VALIDATION\.FAILED|REQUEST\.MALFORMED)$/),
        });
      }
    }
    for (const path of QUERY_ROUTES) {
      for (const attack of QUERY_ATTACKS) {
        const res = await stack.http(`${path}?${attack}`);
        const code = (await json(res)).code;
        answers.push(`GET ${path}?${attack}: ${res.status} ${code}`);
        expect({ attack: `${path}?${attack}`, status: res.status }).toEqual({ attack: `${path}?${attack}`, status: 400 });
      }
    }
    // Path ids that are operators or injection are refused the same way.
    for (const id of ['$where', '{"$gt":""}', 'a b', '..%2F..%2Fetc']) {
      const res = await stack.http(`/v1/cases/${encodeURIComponent(id)}`);
      expect({ id, status: res.status, code: (await json(res)).code }).toEqual({ id, status: 400, code: 'VALIDATION.FAILED' });
    }
    await stack.bus.nc.flush();
    expect(answers.length).toBe(BODIES.length * BODY_ATTACKS.length + QUERY_ROUTES.length * QUERY_ATTACKS.length);
    // No widened query: not one of them reached a service (and so MongoDB).
    expect(forwarded).toEqual([]);
    // Nothing was created or changed by any of them.
    expect(await stack.db.collection('accounts').countDocuments({ name: 'Injected' })).toBe(1);
    // (The watch works: a valid request is seen going to intake.)
    expect((await stack.http('/v1/cases?accountId=acme')).status).toBe(200);
    await stack.bus.nc.flush();
    expect(forwarded).toEqual([Rpc.CaseList]);
  });

  it('intake refuses the same operators itself, should anything send them', async () => {
    await expect(stack.bus.request(Rpc.CaseList, { accountId: { $gt: '' } } as never)).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(stack.bus.request(Rpc.CaseGet, { id: { $ne: null } } as never)).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
    await expect(stack.bus.request(Rpc.CaseList, { $where: '1' } as never)).rejects.toMatchObject({ code: 'VALIDATION.FAILED' });
  });

  it('sends security headers on every answer, with a CSP relaxed only for the docs', async () => {
    for (const res of [await stack.http('/v1/accounts'), await stack.http('/v1/accounts', { key: 'wrong-key-0123456789' }), await stack.http('/openapi.json')]) {
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    const docs = await fetch(`${stack.gateway.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self' 'unsafe-inline'");
    expect(docs.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('answers no browser origin unless it is allowed (CORS closed by default)', async () => {
    const preflight = (url: string, origin: string) =>
      fetch(`${url}/v1/cases`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    const closed = await preflight(stack.gateway.url, 'https://app.example.com');
    expect(closed.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await stack.http('/v1/accounts', { headers: { origin: 'https://app.example.com' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();

    const allowed = await preflight(withCors.url, 'https://app.example.com');
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await preflight(withCors.url, 'https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
    const read = await caller(withCors.url)('/v1/accounts', { headers: { origin: 'https://admin.example.com' } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
  });
});
