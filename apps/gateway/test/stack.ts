import { loadConfig, NatsBus } from '@sladesk/messaging';
import { freePort, ServiceChild, SmtpSink, spawnService, startSmtpSink, startTestNats, testMongoUrl } from '@sladesk/testing';
import mongoose from 'mongoose';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GatewayEnv } from '../src/config';
import { Gateway, startGateway } from '../src/gateway';

export const KEY = 'test-admin-key-0123456789';
export const INTERCOM_SECRET = 'intercom-client-secret-for-tests';

/** A stand-in for the Intercom REST API that records what it is sent. */
export interface FakeIntercom {
  url: string;
  requests: { method: string; path: string; headers: IncomingMessage['headers']; body: any }[];
  stop(): Promise<void>;
}

async function startFakeIntercom(): Promise<FakeIntercom> {
  const requests: FakeIntercom['requests'] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: data ? JSON.parse(data) : undefined });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"conversation"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Stack {
  gateway: Gateway;
  bus: NatsBus;
  db: mongoose.Connection;
  intake: ServiceChild;
  /** The escalation process, when asked for (it mails through `relay` too). */
  escalation?: ServiceChild;
  /** The sla process, when asked for. */
  sla?: ServiceChild;
  /** The intake's SMTP listener (customers' mail goes there). */
  smtpPort: number;
  /** Our outgoing relay: acknowledgements and replies land here. */
  relay: SmtpSink;
  intercom: FakeIntercom;
  http(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

/** NATS, the intake process (as in production) and the gateway, over a fresh test database. */
export async function startStack(label: string, options: { escalation?: boolean; bodyLimit?: number; sla?: boolean } = {}): Promise<Stack> {
  const nats = await startTestNats();
  const mongoUrl = testMongoUrl(label);
  const [relay, intercom, smtpPort] = await Promise.all([startSmtpSink(), startFakeIntercom(), freePort()]);
  const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
  const intake = spawnService('intake', {
    ...env,
    SLADESK_SMTP_PORT: String(smtpPort),
    SLADESK_SUPPORT_ADDRESSES: 'support@vendor.test',
    SLADESK_SMTP_RELAY_URL: relay.url,
    SLADESK_INTERCOM_CLIENT_SECRET: INTERCOM_SECRET,
    SLADESK_INTERCOM_API_URL: intercom.url,
    SLADESK_INTERCOM_ACCESS_TOKEN: 'intercom-token',
    SLADESK_INTERCOM_ADMIN_ID: 'admin-default',
    SLADESK_DELIVERY_RETRY_MS: '200',
  });
  const escalation = options.escalation
    ? spawnService('escalation', { ...env, SLADESK_SMTP_URL: relay.url, SLADESK_ESCALATION_TICK_MS: '200' })
    : undefined;
  const sla = options.sla ? spawnService('sla', env) : undefined;
  await Promise.all([intake.ready, escalation?.ready, sla?.ready]);
  const gateway = await startGateway(
    loadConfig(GatewayEnv, { ...env, PORT: '0', LOG_LEVEL: 'silent', SLADESK_ADMIN_API_KEY: KEY, SLADESK_BODY_LIMIT: String(options.bodyLimit ?? 65536) }, {}),
  );
  const bus = await NatsBus.connect(nats.url, 'test');
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  return {
    gateway,
    bus,
    db,
    intake,
    escalation,
    sla,
    smtpPort,
    relay,
    intercom,
    http(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? KEY}`);
      const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
      if (body && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${gateway.url}${path}`, { ...init, method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
    },
    async stop() {
      await gateway.stop();
      await intake.kill();
      await escalation?.kill();
      await sla?.kill();
      await bus.close();
      await db.dropDatabase();
      await db.close();
      await Promise.all([relay.stop(), intercom.stop(), nats.cleanup()]);
    },
  };
}

/** Response bodies are read as loosely typed JSON; the assertions check their shape. */
export const jsonOf = (res: Response): Promise<any> => res.json();

/** The account and people most tests need: a CSM, a Tier 2 engineer, and the account Acme. */
export async function seedAcme(stack: Stack, accountId = 'acme', domain = 'acme.test'): Promise<void> {
  for (const [id, name, roles] of [
    ['csm-carla', 'Carla CSM', ['csm']],
    ['t2-tom', 'Tom Tier2', ['tier2']],
  ] as const) {
    const res = await stack.http('/v1/staff', { json: { id, name, email: `${id}@vendor.test`, roles }, headers: { 'idempotency-key': `seed-${id}` } });
    if (res.status !== 201) throw new Error(`seeding staff ${id}: ${res.status} ${await res.text()}`);
  }
  const res = await stack.http('/v1/accounts', {
    json: { id: accountId, name: accountId.toUpperCase(), timeZone: 'America/New_York', csmId: 'csm-carla', contacts: [{ name: 'Ada', email: `ada@${domain}` }], emailDomains: [domain] },
  });
  if (res.status !== 201) throw new Error(`seeding account ${accountId}: ${res.status} ${await res.text()}`);
}
