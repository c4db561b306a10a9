import { LOG_REDACT, loadConfig } from '@sladesk/messaging';
import { freePort, ServiceChild, spawnService, startTestNats, testMongoUrl } from '@sladesk/testing';
import mongoose from 'mongoose';
import { Writable } from 'node:stream';
import pino from 'pino';
import { GatewayEnv } from '../src/config';
import { caller, json } from './security-kit';

const ADMIN = 'admin-key-that-must-never-be-logged-42';
const PEPPER = 'pepper-that-must-never-be-logged-0123456789';
const INTERCOM = 'intercom-secret-that-must-never-be-logged';

describe('secrets stay out of logs and error messages', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let gateway: ServiceChild;
  let intake: ServiceChild;
  let url: string;
  const mongoUrl = testMongoUrl('security_logs');

  beforeAll(async () => {
    nats = await startTestNats();
    const port = await freePort();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl, LOG_LEVEL: 'debug' };
    intake = spawnService('intake', { ...env, SLADESK_SMTP_PORT: String(await freePort()), SLADESK_INTERCOM_CLIENT_SECRET: INTERCOM });
    gateway = spawnService('gateway', { ...env, PORT: String(port), SLADESK_ADMIN_API_KEY: ADMIN, SLADESK_API_KEY_PEPPER: PEPPER });
    await Promise.all([intake.ready, gateway.ready]);
    url = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await Promise.all([gateway?.kill(), intake?.kill()]);
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await nats?.cleanup();
  });

  it('a gateway logging at debug, used with good, bad, revoked and forged credentials, never writes a secret', async () => {
    const admin = caller(url, ADMIN);
    const created = await json(await admin('/v1/api-keys', { json: { name: 'probe', roles: ['csm'] } }));
    const secrets = [ADMIN, PEPPER, INTERCOM, created.key, created.key.split('_').slice(2).join('_')];
    expect((await admin('/v1/accounts', { key: created.key })).status).toBe(200);
    const refusals = [
      await admin('/v1/accounts', { key: `${created.key.slice(0, -4)}AAAA` }),
      await admin('/v1/accounts', { key: `${ADMIN}x` }),
      await admin('/v1/accounts', { key: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }),
    ];
    await admin(`/v1/api-keys/${created.id}`, { method: 'DELETE' });
    refusals.push(await admin('/v1/accounts', { key: created.key }));
    refusals.push(await admin('/v1/channels/intercom/webhook', { key: null, body: '{"type":"notification_event"}', headers: { 'content-type': 'application/json', 'x-hub-signature': 'sha1=00' } }));
    for (const res of refusals) {
      expect(res.status).toBe(401);
      const text = await res.text();
      for (const s of secrets) expect(text).not.toContain(s);
    }
    // What both processes wrote so far.
    const logs = gateway.output() + intake.output();
    expect(logs.length).toBeGreaterThan(0);
    for (const s of secrets) expect(logs).not.toContain(s);
  });

  it('redacts credentials and secret settings from structured log lines', () => {
    const lines: string[] = [];
    const out = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
    const log = pino({ redact: LOG_REDACT }, out);
    log.info({ req: { headers: { authorization: `Bearer ${ADMIN}`, 'x-hub-signature': 'sha1=abc' } }, config: { SLADESK_API_KEY_PEPPER: PEPPER }, token: 'opt-out-token', smtp: { pass: 'p4ss' } }, 'a request');
    expect(lines.join('')).not.toMatch(new RegExp(`${ADMIN}|${PEPPER}|opt-out-token|p4ss|sha1=abc`));
    expect(lines.join('')).toContain('[redacted]');
  });

  it('a configuration error names the setting, never its value', () => {
    expect(() => loadConfig(GatewayEnv, { NODE_ENV: 'production', SLADESK_API_KEY_PEPPER: 'short-secret-value' }, { exitOnError: false })).toThrow(/SLADESK_API_KEY_PEPPER/);
    try {
      loadConfig(GatewayEnv, { NODE_ENV: 'production', SLADESK_API_KEY_PEPPER: 'short-secret-value' }, { exitOnError: false });
    } catch (e) {
      expect((e as Error).message).not.toContain('short-secret-value');
    }
    // Production without a pepper does not start.
    expect(() => loadConfig(GatewayEnv, { NODE_ENV: 'production' }, { exitOnError: false })).toThrow(/SLADESK_API_KEY_PEPPER/);
  });
});
