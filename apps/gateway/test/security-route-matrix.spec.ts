import { API_ROLES, ApiRole } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { startTestNats, testMongoUrl } from '@sladesk/testing';
import { ExecutionContext } from '@nestjs/common';
import mongoose from 'mongoose';
import { ApiKeys } from '../src/auth/api-keys.service';
import { AuthorizeGuard } from '../src/auth/auth.guards';
import { isDocumentRoute, ROUTE_RULES, routeKey, unruledRoutes } from '../src/auth/route-rules';
import { GatewayEnv } from '../src/config';
import { Gateway } from '../src/gateway';
import { gatewayOn } from './security-kit';

/**
 * Every route × every role, generated from the route table and from the routes the server really
 * registered: a route without a rule fails here. Only NATS and MongoDB run (no service), so a request
 * the guard lets through ends at the service boundary (400 from validation, 503 with no responder …):
 * anything but 401 and 403 AUTH.FORBIDDEN means "let through".
 */
const CALLERS = ['anonymous', ...API_ROLES] as const;
type Caller = (typeof CALLERS)[number];
const ACCOUNT = 'acme';

describe('authorization: one rule per route, enforced for every role', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let gateway: Gateway;
  const keys = {} as Record<ApiRole, string>;
  const mongoUrl = testMongoUrl('security_matrix');

  beforeAll(async () => {
    nats = await startTestNats();
    gateway = await gatewayOn({ NATS_URL: nats.url, MONGO_URL: mongoUrl }, { SLADESK_RATE_LIMIT_PER_IP: '0', SLADESK_RATE_LIMIT_PER_KEY: '0', SLADESK_RPC_TIMEOUT_MS: '500' });
    const service = gateway.app.get(ApiKeys);
    for (const role of API_ROLES) {
      keys[role] = (await service.create({ name: role, roles: [role], ...(role === 'integration' ? { accountId: ACCOUNT } : {}) }, 'test')).key;
    }
  });

  afterAll(async () => {
    await gateway?.stop();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await nats?.cleanup();
  });

  const registered = () => gateway.routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !isDocumentRoute(r.url)).map((r) => routeKey(r.method, r.url));

  it('every route the server registered has a rule, and every rule (but planned ones) a route', () => {
    expect(unruledRoutes(gateway.routes)).toEqual([]);
    const routes = new Set(registered());
    const stale = Object.entries(ROUTE_RULES).filter(([key, rule]) => !rule.planned && !routes.has(key)).map(([key]) => key);
    expect(stale).toEqual([]);
    expect(routes.size).toBeGreaterThan(80);
  });

  it('every rule that lets integration keys in says how they are confined', () => {
    const unconfined = Object.entries(ROUTE_RULES).filter(([, r]) => r.roles !== 'public' && r.roles.includes('integration') && !r.scoping).map(([k]) => k);
    expect(unconfined).toEqual([]);
  });

  it('the OpenAPI document shows each route’s roles, and public routes exactly are without security', async () => {
    const doc = (await gateway.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/openapi.json' })).json();
    const mismatches: string[] = [];
    for (const [path, item] of Object.entries<Record<string, { security?: unknown[]; 'x-roles'?: unknown; description?: string }>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const rule = ROUTE_RULES[routeKey(method, path.replace(/\{([^}]+)\}/g, ':$1'))];
        const expected = rule?.roles === 'public' ? 'public' : rule?.roles;
        if (JSON.stringify(op['x-roles']) !== JSON.stringify(expected)) mismatches.push(`${method} ${path}: x-roles`);
        if ((op.security?.length === 0) !== (expected === 'public')) mismatches.push(`${method} ${path}: security`);
        if (!/\*\*(Roles|Access):\*\*/.test(op.description ?? '')) mismatches.push(`${method} ${path}: description`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('a route without a rule is for admin keys only', async () => {
    const guard = new AuthorizeGuard(gateway.app.get(NatsBus), gateway.app.get(GatewayEnv));
    const context = (roles: ApiRole[]) =>
      ({
        switchToHttp: () => ({
          getRequest: () => ({ method: 'GET', url: '/v1/brand-new', routeOptions: { url: '/v1/brand-new' }, query: {}, authentication: { outcome: 'ok', principal: { id: 'key:x', kind: 'api-key', roles } } }),
        }),
      }) as unknown as ExecutionContext;
    await expect(guard.canActivate(context(['admin']))).resolves.toBe(true);
    await expect(guard.canActivate(context(['manager', 'executive']))).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN' });
  });

  // One test per route of the table, each asking as every caller.
  const table = Object.entries(ROUTE_RULES).filter(([, rule]) => !rule.planned);
  it.each(table)('%s', async (key, rule) => {
    const [method, pattern] = key.split(' ');
    const url = pattern.replace(/:[A-Za-z]+/g, ACCOUNT);
    const outcome: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const who of CALLERS as readonly Caller[]) {
      const res = await gateway.app
        .getHttpAdapter()
        .getInstance()
        .inject({
          method: method as 'GET',
          url,
          headers: { ...(who === 'anonymous' ? {} : { authorization: `Bearer ${keys[who]}` }), ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
          ...(method === 'GET' ? {} : { payload: '{}' }),
        });
      const code = res.headers['content-type']?.toString().includes('json') ? (res.json() as { code?: string }).code : undefined;
      outcome[who] = res.statusCode === 401 ? 'unauthenticated' : res.statusCode === 403 && code === 'AUTH.FORBIDDEN' ? 'forbidden' : 'let through';
      expected[who] = rule.roles === 'public' ? 'let through' : who === 'anonymous' ? 'unauthenticated' : rule.roles.includes(who) ? 'let through' : 'forbidden';
    }
    expect(outcome).toEqual(expected);
  });
});
