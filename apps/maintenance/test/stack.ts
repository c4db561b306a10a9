import { NatsBus } from '@sladesk/messaging';
import { freePort, ServiceChild, SmtpSink, spawnService, startSmtpSink, startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import mongoose from 'mongoose';
import { ParsedMail } from 'mailparser';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export const KEY = 'test-admin-key-0123456789';
export const LINK_SECRET = 'notice-link-secret-for-tests';

/** A stand-in for Intercom's REST API (outside our system): records what it is sent. */
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
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"user_message","id":"1"}');
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
  url: string;
  bus: NatsBus;
  db: mongoose.Connection;
  smtp: SmtpSink;
  intercom: FakeIntercom;
  intake: ServiceChild;
  gateway: ServiceChild;
  /** Running maintenance instances (as processes, as in production). */
  maintenance: ServiceChild[];
  startMaintenance(name: string): Promise<ServiceChild>;
  http(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * NATS, FerretDB (from the global setup), intake (accounts come from its events), `instances`
 * maintenance processes and the gateway, all real processes; a local SMTP sink and a fake Intercom
 * stand in for the outside world.
 */
export async function startStack(label: string, options: { instances?: number; env?: Record<string, string> } = {}): Promise<Stack> {
  const nats = await startTestNats();
  const mongoUrl = testMongoUrl(label);
  const [smtp, intercom, port, intakeSmtpPort] = await Promise.all([startSmtpSink(), startFakeIntercom(), freePort(), freePort()]);
  const url = `http://127.0.0.1:${port}`;
  const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl, SLADESK_OUTBOX_SWEEP_MS: '500' };
  const maintenanceEnv = (name: string) => ({
    ...env,
    SLADESK_INSTANCE_ID: name,
    SLADESK_SMTP_URL: smtp.url,
    SLADESK_MAIL_FROM: 'notices@vendor.test',
    SLADESK_INTERCOM_API_URL: intercom.url,
    SLADESK_INTERCOM_TOKEN: 'intercom-token',
    SLADESK_INTERCOM_ADMIN_ID: 'admin-7',
    SLADESK_MAINTENANCE_TICK_MS: '100',
    SLADESK_OUTBOUND_TICK_MS: '200',
    SLADESK_OUTBOUND_RETRY_MS: '200',
    SLADESK_OUTBOUND_LEASE_MS: '3000',
    SLADESK_NOTICE_LINK_SECRET: LINK_SECRET,
    SLADESK_PUBLIC_URL: url,
    ...options.env,
  });
  const intake = spawnService('intake', { ...env, SLADESK_SMTP_PORT: String(intakeSmtpPort), SLADESK_SMTP_RELAY_URL: smtp.url });
  const maintenance: ServiceChild[] = [];
  for (let i = 0; i < (options.instances ?? 1); i++) maintenance.push(spawnService('maintenance', maintenanceEnv(`maintenance-${i + 1}`)));
  const gateway = spawnService('gateway', { ...env, PORT: String(port), SLADESK_ADMIN_API_KEY: KEY });
  await Promise.all([intake.ready, gateway.ready, ...maintenance.map((m) => m.ready)]);
  const bus = await NatsBus.connect(nats.url, 'test');
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  const stack: Stack = {
    url,
    bus,
    db,
    smtp,
    intercom,
    intake,
    gateway,
    maintenance,
    async startMaintenance(name) {
      const m = spawnService('maintenance', maintenanceEnv(name));
      await m.ready;
      maintenance.push(m);
      return m;
    },
    http(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? KEY}`);
      const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
      if (body && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${url}${path.startsWith('http') ? '' : ''}${path}`, { ...init, method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
    },
    async stop() {
      await Promise.all([gateway.kill(), intake.kill(), ...maintenance.map((m) => m.kill())]);
      await bus.close();
      await db.dropDatabase().catch(() => undefined);
      await db.close();
      await Promise.all([smtp.stop(), intercom.stop(), nats.cleanup()]);
    },
  };
  return stack;
}

export const json = (res: Response): Promise<any> => res.json();

/** Creates an account through intake and waits until maintenance has projected it. */
export async function seedAccount(stack: Stack, id: string, timeZone: string, contacts: { name: string; email: string }[]): Promise<void> {
  const res = await stack.http('/v1/accounts', { json: { id, name: id.toUpperCase(), timeZone, contacts } });
  if (res.status !== 201) throw new Error(`seeding account ${id}: ${res.status} ${await res.text()}`);
  await waitFor(async () => (await json(await stack.http(`/v1/accounts/${id}/notice-preferences`))).known, `maintenance to know account ${id}`);
}

/** The mail in the sink sent to `to` whose subject matches. */
export const mailsTo = (stack: Stack, to: string, subject: RegExp): ParsedMail[] =>
  stack.smtp.messages.filter((m) => (m.to as { value: { address: string }[] } | undefined)?.value.some((v) => v.address === to) && subject.test(m.subject ?? ''));

export const waitForMail = (stack: Stack, to: string, subject: RegExp, timeoutMs = 20_000): Promise<ParsedMail> =>
  stack.smtp.waitFor((m) => (m.to as { value: { address: string }[] } | undefined)?.value.some((v) => v.address === to) === true && subject.test(m.subject ?? ''), timeoutMs);

/** Waits until a notice has been fanned out completely and all its deliveries have an outcome. */
export async function settledNotice(stack: Stack, noticeId: string): Promise<{ notice: any; deliveries: any[] }> {
  return waitFor<{ notice: any; deliveries: any[] } | null>(
    async () => {
      const notice = await json(await stack.http(`/v1/notices/${encodeURIComponent(noticeId)}`));
      if (notice.state !== 'done') return null;
      const deliveries = (await json(await stack.http(`/v1/notices/${encodeURIComponent(noticeId)}/deliveries?limit=200`))).items;
      return deliveries.every((d: any) => d.state !== 'pending') ? { notice, deliveries } : null;
    },
    `notice ${noticeId} to be delivered`,
    20_000,
    100,
  ) as Promise<{ notice: any; deliveries: any[] }>;
}
