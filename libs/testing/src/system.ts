import mongoose from 'mongoose';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testMongoUrl, startTestNats, waitFor } from './helpers';
import { freePort, workspaceRoot } from './infra';

/** One JSON line of the supervisor's own log (tools/scripts/start.mjs, when its output is not a terminal). */
export interface StartEvent {
  msg: string;
  event?: string;
  unit?: string;
  childPid?: number;
  restarts?: number;
  reason?: string;
  urls?: Record<string, string>;
  [key: string]: unknown;
}

export interface RunningSystem {
  /** The gateway, e.g. http://127.0.0.1:43121 (REST under /v1). */
  url: string;
  /** Mailpit's web UI and API (API under /api/v1). */
  mailUrl: string;
  /** intake's SMTP listener for the support addresses. */
  smtpInPort: number;
  apiKey: string;
  intercomSecret: string;
  natsUrl: string;
  mongoUrl: string;
  /** `npm start` itself. */
  child: ChildProcess;
  events(): StartEvent[];
  output(): string;
  waitForEvent(match: (e: StartEvent) => boolean, what: string, timeoutMs?: number): Promise<StartEvent>;
  /** Authorized JSON request to the gateway. */
  http(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** SIGTERM to `npm start` (it stops every service, then Mailpit), then the test's NATS and database. */
  stop(): Promise<void>;
}

/**
 * Runs `npm start` (tools/scripts/start.mjs) as a user would, on free ports, against a private NATS
 * server and a fresh test database (so it starts Mailpit and the six services itself); resolves once
 * the supervisor reports every service healthy.
 */
export async function startSystem(options: { env?: Record<string, string>; readyTimeoutMs?: number } = {}): Promise<RunningSystem> {
  const mongoUrl = testMongoUrl('system');
  const nats = await startTestNats();
  const dataDir = mkdtempSync(join(tmpdir(), 'sladesk-system-'));
  const [port, smtpInPort, mailPort, mailSmtpPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const apiKey = 'system-test-admin-key-0123456789';
  const intercomSecret = 'system-test-intercom-secret';
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NATS_URL: nats.url,
    MONGO_URL: mongoUrl,
    PORT: String(port),
    SLADESK_SMTP_PORT: String(smtpInPort),
    SLADESK_MAILPIT_PORT: String(mailPort),
    SLADESK_MAILPIT_SMTP_PORT: String(mailSmtpPort),
    SLADESK_DATA_DIR: dataDir,
    SLADESK_ADMIN_API_KEY: apiKey,
    SLADESK_INTERCOM_CLIENT_SECRET: intercomSecret,
    SLADESK_SKIP_BUILD: '1',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  delete env.SLADESK_SMTP_URL;
  delete env.SLADESK_SMTP_RELAY_URL;
  delete env.JEST_WORKER_ID;
  const child = spawn(process.execPath, [join(workspaceRoot(), 'tools', 'scripts', 'start.mjs')], {
    cwd: workspaceRoot(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let partial = '';
  const events: StartEvent[] = [];
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"service":"start"')) continue;
      try {
        events.push(JSON.parse(line) as StartEvent);
      } catch {
        // a service's line that happens to contain the text
      }
    }
  });
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const waitForEvent = async (match: (e: StartEvent) => boolean, what: string, timeoutMs = 60_000): Promise<StartEvent> =>
    waitFor<StartEvent | undefined>(
      () => {
        if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${out.slice(-4000)}`);
        return events.find(match);
      },
      what,
      timeoutMs,
      100,
    ) as Promise<StartEvent>; // waitFor returns only a found event

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    // Should npm start have died without stopping its children, they are ended here (their pids are in its log).
    for (const e of events) {
      if (e.event !== 'started' || !e.childPid) continue;
      try {
        process.kill(e.childPid, 'SIGKILL');
      } catch {
        // already gone, as it should be
      }
    }
    await nats.cleanup();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const ready = await waitForEvent((e) => e.event === 'ready', 'npm start to report every service healthy', options.readyTimeoutMs ?? 90_000);
    const url = `http://127.0.0.1:${port}`;
    return {
      url,
      mailUrl: ready.urls?.mail ?? `http://127.0.0.1:${mailPort}`,
      smtpInPort,
      apiKey,
      intercomSecret,
      natsUrl: nats.url,
      mongoUrl,
      child,
      events: () => events,
      output: () => out,
      waitForEvent,
      http(path, init = {}) {
        const headers = new Headers(init.headers);
        headers.set('authorization', `Bearer ${apiKey}`);
        const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
        if (body && !headers.has('content-type')) headers.set('content-type', 'application/json');
        return fetch(`${url}${path}`, { ...init, method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
