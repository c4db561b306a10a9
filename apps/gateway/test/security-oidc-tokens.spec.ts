import { loadConfig } from '@sladesk/messaging';
import { startTestNats, testMongoUrl } from '@sladesk/testing';
import { exportJWK, exportSPKI, generateKeyPair, JWTPayload, SignJWT } from 'jose';
import mongoose from 'mongoose';
import { createHmac } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GatewayEnv } from '../src/config';
import { Gateway } from '../src/gateway';
import { caller, gatewayOn, json } from './security-kit';

const AUDIENCE = 'sladesk-api';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An identity provider of our own: a JWKS over HTTP, and tokens signed with its key (or not). */
describe('OIDC: JWTs from the configured issuer, checked against its JWKS', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let jwks: Server;
  let issuer: string;
  let gateway: Gateway;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let stranger: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwksFetches = 0;
  const mongoUrl = testMongoUrl('security_oidc');

  const sign = (claims: JWTPayload, over: { key?: 'ours' | 'stranger'; exp?: number | string; aud?: string; iss?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
      .setIssuer(over.iss ?? issuer)
      .setAudience(over.aud ?? AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(over.exp ?? now + 300)
      .sign(over.key === 'stranger' ? stranger.privateKey : keys.privateKey);
  };

  beforeAll(async () => {
    keys = await generateKeyPair('RS256', { extractable: true });
    stranger = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((req, res) => {
      jwksFetches++;
      if (req.url === '/.well-known/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
    nats = await startTestNats();
    gateway = await gatewayOn(
      { NATS_URL: nats.url, MONGO_URL: mongoUrl },
      { SLADESK_OIDC_ISSUER: issuer, SLADESK_OIDC_AUDIENCE: AUDIENCE, SLADESK_OIDC_ROLES_CLAIM: 'realm_access.roles', SLADESK_OIDC_CLOCK_TOLERANCE_S: '0' },
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await new Promise((r) => jwks?.close(r));
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await nats?.cleanup();
  });

  it('accepts a token of the issuer and takes the roles from the configured claim', async () => {
    const executive = caller(gateway.url, await sign({ sub: 'erin', realm_access: { roles: ['executive', 'offline_access'] } }));
    expect((await executive('/v1/audit')).status).toBe(200);
    const refused = await executive('/v1/api-keys');
    expect(refused.status).toBe(403);
    expect(await json(refused)).toMatchObject({ code: 'AUTH.FORBIDDEN' });
    // No role of ours: known, but allowed nothing.
    expect((await caller(gateway.url, await sign({ sub: 'nobody', realm_access: { roles: ['offline_access'] } }))('/v1/audit')).status).toBe(403);
    // API keys still work beside tokens.
    expect((await caller(gateway.url)('/v1/api-keys')).status).toBe(200);
    expect(jwksFetches).toBeGreaterThan(0);
  });

  it('records who did it by subject in the audit log', async () => {
    const admin = caller(gateway.url, await sign({ sub: 'alice@idp', realm_access: { roles: ['admin'] } }));
    expect((await admin('/v1/api-keys', { json: { name: 'made by a person', roles: ['agent'] } })).status).toBe(201);
    const audit = await json(await admin('/v1/audit?actor=oidc:alice@idp'));
    expect(audit.items[0]).toMatchObject({ actor: 'oidc:alice@idp', roles: ['admin'], method: 'POST', route: '/v1/api-keys', status: 201 });
  });

  it('refuses alg none, HMAC signed with the public key, a foreign key, wrong audience or issuer, expired, not yet valid, no subject', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'mallory', iss: issuer, aud: AUDIENCE, iat: now, exp: now + 300, realm_access: { roles: ['admin'] } };
    const pem = await exportSPKI(keys.publicKey);
    const hmac = (secret: string) => {
      const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64(claims)}`;
      return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
    };
    const tokens: [string, string][] = [
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
      ['alg NONE with a signature', `${b64({ alg: 'NONE', typ: 'JWT' })}.${b64(claims)}.${b64('x')}`],
      ['HS256 with the public key as secret', hmac(pem)],
      ['HS256 with the JWK modulus as secret', hmac(String((await exportJWK(keys.publicKey)).n))],
      ['a key the issuer does not publish', await sign({ sub: 'mallory', realm_access: { roles: ['admin'] } }, { key: 'stranger' })],
      ['another audience', await sign({ sub: 'mallory', realm_access: { roles: ['admin'] } }, { aud: 'someone-else' })],
      ['another issuer', await sign({ sub: 'mallory', realm_access: { roles: ['admin'] } }, { iss: 'https://evil.example.com' })],
      ['expired', await sign({ sub: 'mallory', realm_access: { roles: ['admin'] } }, { exp: now - 60 })],
      ['not yet valid', await new SignJWT({ sub: 'mallory', realm_access: { roles: ['admin'] } }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(AUDIENCE).setNotBefore(now + 600).setExpirationTime(now + 900).sign(keys.privateKey)],
      ['no subject', await new SignJWT({ realm_access: { roles: ['admin'] } }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(AUDIENCE).setExpirationTime(now + 300).sign(keys.privateKey)],
      ['a tampered payload', (await sign({ sub: 'mallory', realm_access: { roles: ['agent'] } })).replace(/\.[^.]+\./, `.${b64(claims)}.`)],
      ['integration without an account', await sign({ sub: 'mallory', realm_access: { roles: ['integration'] } })],
    ];
    for (const [label, token] of tokens) {
      const res = await caller(gateway.url, token)('/v1/audit');
      expect({ label, status: res.status, code: (await json(res)).code }).toEqual({ label, status: 401, code: 'AUTH.INVALID_TOKEN' });
    }
  });

  it('confines an integration token to the account in its claim', async () => {
    const token = await sign({ sub: 'crm', realm_access: { roles: ['integration'] }, sladesk_account: 'acme' });
    const res = await caller(gateway.url, token)('/v1/cases?accountId=beta');
    expect(res.status).toBe(403);
    expect(await json(res)).toMatchObject({ code: 'AUTH.ACCOUNT_FORBIDDEN' });
  });

  it('refuses to be configured with alg none or an HMAC algorithm', () => {
    for (const algorithms of ['none', 'HS256', 'RS256,HS512']) {
      expect(() => loadConfig(GatewayEnv, { SLADESK_OIDC_ISSUER: issuer, SLADESK_OIDC_AUDIENCE: AUDIENCE, SLADESK_OIDC_ALGORITHMS: algorithms }, { exitOnError: false })).toThrow(/SLADESK_OIDC_ALGORITHMS/);
    }
    expect(() => loadConfig(GatewayEnv, { SLADESK_OIDC_ISSUER: issuer }, { exitOnError: false })).toThrow(/SLADESK_OIDC_AUDIENCE/);
  });
});
