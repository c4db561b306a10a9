// The system under fault, started as `npm start` does but with every part in the suite's hands: its own
// FerretDB (the project's launcher) and NATS (one server, or a 3-node cluster), a mail sink that counts
// every notification it receives, and N instances of each service, each one a process that can be
// SIGKILLed and started again on the same ports and data.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { connectNats } from './nats.mjs';

const require = createRequire(import.meta.url);
export const root = join(import.meta.dirname, '..', '..', '..');
/** Started in this order; the gateway last, so its /health finds the others. */
export const SERVICES = ['intake', 'sla', 'escalation', 'maintenance', 'reporting', 'gateway'];
export const ADMIN_KEY = 'faults-admin-key-0123456789';
/** The name must contain "test": the services refuse other databases when run under Jest. */
export const DB_NAME = 'sladesk_faults_test';
const GUARD = join(import.meta.dirname, 'guard.cjs');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
export const log = (line) =>
  console.error(`[faults ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

/**
 * The compiled apps and libs the run uses: dist/ when asked (npm test has just built it), else a
 * private SWC build in the run's folder, so a build someone else starts meanwhile cannot swap the
 * code under a service that the suite restarts.
 */
export function compile(runDir, { useDist = false } = {}) {
  if (useDist) return join(root, 'dist');
  const out = join(runDir, 'build');
  const swc = require.resolve('@swc/cli/bin/swc.js', { paths: [root] });
  const fresh = `${out}.partial`;
  rmSync(fresh, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      swc,
      'apps',
      'libs',
      '-d',
      fresh,
      '--config-file',
      '.swcrc',
      '--ignore',
      '**/*.spec.ts',
      '--ignore',
      '**/test/**',
      '-q',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  renameSync(fresh, out);
  return out;
}

/** Runs `guard.cjs` beside a server process, so it dies with the suite. */
function guard(pid) {
  const g = spawn(process.execPath, [GUARD, String(pid)], {
    env: { ...process.env, SLADESK_FAULTS_PARENT_PID: String(process.pid) },
    stdio: 'ignore',
    detached: true,
  });
  g.unref();
}

/** A mail relay that accepts everything and counts messages (and their Message-IDs) per X-Sladesk-Notification-Id. */
export async function startMailSink() {
  const { SMTPServer } = require('smtp-server');
  const byNotification = new Map();
  /** Message-IDs seen per notification: a copy under the same Message-ID is a resend, not a second mail. */
  const messageIds = new Map();
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (b) => {
        if (head.length < 64 * 1024) head += b.toString('latin1');
      });
      stream.on('end', () => {
        received += 1;
        const headers = head.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
        const id = /^x-sladesk-notification-id:\s*(\S+)/im.exec(headers)?.[1];
        if (id) byNotification.set(id, (byNotification.get(id) ?? 0) + 1);
        const messageId = /^message-id:\s*(\S+)/im.exec(headers)?.[1];
        if (id && messageId) messageIds.set(id, (messageIds.get(id) ?? new Set()).add(messageId));
        callback();
      });
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    byNotification,
    messageIds,
    get received() {
      return received;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One process of one service; `kill()` is SIGKILL, `start()` runs it again with the same settings. */
class Instance {
  constructor(system, name, index, env) {
    this.system = system;
    this.name = name;
    this.index = index;
    this.id = `${name}-${index + 1}`;
    this.env = env;
    this.child = undefined;
    this.tail = '';
    this.kills = 0;
    this.unexpectedExits = [];
  }

  get alive() {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  /** Resolves once the service logged that it is ready. */
  start() {
    const main = join(this.system.out, 'apps', this.name, 'src', 'main.js');
    const out = createWriteStream(join(this.system.logDir, `${this.id}.log`), { flags: 'a' });
    out.write(`\n===== ${new Date().toISOString()} start ${this.id}\n`);
    const child = spawn(process.execPath, ['--require', GUARD, main], {
      cwd: root,
      env: {
        ...process.env,
        ...this.env,
        SLADESK_INSTANCE_ID: this.id,
        SLADESK_FAULTS_PARENT_PID: String(process.pid),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.startedAt = Date.now();
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        out.end(`===== ${new Date().toISOString()} exit ${code ?? signal}\n`);
        if (!child.expectedExit)
          this.unexpectedExits.push({
            at: new Date().toISOString(),
            code,
            signal,
            tail: this.tail.slice(-2000),
          });
        resolve();
      }),
    );
    const onData = (b) => {
      out.write(b);
      this.tail = (this.tail + b.toString()).slice(-8000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // Ready: the gateway answers HTTP; a service instance answers its service's ping itself (its
    // responders and consumers are up). "<name> ready" is logged at info, which a run at warn omits.
    this.ready = new Promise((resolve, reject) => {
      let gone = false;
      this.exited.then(() => {
        gone = true;
        if (!child.readyAt)
          reject(new Error(`${this.id} exited before it was ready:\n${this.tail.slice(-3000)}`));
      });
      const poll = async () => {
        while (!gone) {
          if (await this.answers()) {
            child.readyAt = Date.now();
            return resolve();
          }
          await sleep(100);
        }
      };
      void poll();
    });
    this.ready.catch(() => undefined);
    return this.ready;
  }

  /** Whether this very process answers (HTTP for the gateway, its service's ping over NATS otherwise). */
  async answers() {
    if (this.name === 'gateway') {
      return fetch(`http://127.0.0.1:${this.env.PORT}/health`, { signal: AbortSignal.timeout(2000) }).then(
        () => true,
        () => false,
      );
    }
    try {
      const m = await this.system.bus.nc.request(
        `sladesk.rpc.${this.name}.ping.v1`,
        new TextEncoder().encode('{}'),
        { timeout: 1000 },
      );
      return m.json().data?.instanceId === this.id;
    } catch {
      return false;
    }
  }

  async kill() {
    if (!this.alive) return;
    this.child.expectedExit = true;
    this.kills += 1;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop() {
    if (!this.alive) return;
    this.child.expectedExit = true;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(t);
  }

  /** SIGKILL, `downMs` of nothing, start again; resolves with the time until it was ready again. */
  async restart(downMs = 1000) {
    const t0 = Date.now();
    await this.kill();
    await sleep(downMs);
    await this.start();
    return Date.now() - t0;
  }
}

// Faster recovery than production's defaults, so that a run settles in minutes: what a crash left in
// an outbox is swept every 5 s (production: 30 s), an event a killed consumer held is redelivered
// after 10 s (production: 30 s), a delivery a killed sender held is taken over after 10 s (production:
// 60 s; the suite's SMTP sink is local, so a send never takes that long). They only shorten the wait;
// none changes what happens.
// The suite (and the soak) is one client sending a load on purpose: the gateway's per-key and per-address rate limits
// (1,200 and 2,400 a minute) are raised so that they do not pace it (a 429 would be retried like a 503).
export const SERVICE_ENV = {
  SLADESK_OUTBOX_SWEEP_MS: '5000',
  SLADESK_ACK_WAIT_MS: '10000',
  SLADESK_OUTBOUND_LEASE_MS: '10000',
  SLADESK_RATE_LIMIT_PER_KEY: '1000000',
  SLADESK_RATE_LIMIT_PER_IP: '1000000',
};

/**
 * Starts everything. `instances`: processes per service; `cluster`: a 3-node NATS cluster with R3
 * streams instead of one server. `env`: extra settings for every service.
 */
export async function startSystem({
  out,
  runDir,
  instances = 1,
  cluster = false,
  env = {},
  logLevel = 'warn',
}) {
  const infra = require(join(out, 'libs', 'testing', 'src', 'infra.js'));
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const system = { out, runDir, logDir, infra, instances: [], owned: [] };

  // --- database: FerretDB through the project's launcher, restartable on the same port and data
  const dbDir = join(runDir, 'ferretdb');
  const dbPort = await infra.freePort();
  const dbLog = createWriteStream(join(logDir, 'ferretdb.log'), { flags: 'a' });
  const db = {
    port: dbPort,
    url: `mongodb://127.0.0.1:${dbPort}`,
    proc: undefined,
    async start() {
      this.proc = await infra.startFerretdb({ dataDir: dbDir, port: dbPort, log, output: dbLog });
      guard(this.proc.child.pid);
    },
    async kill() {
      await this.proc?.kill();
      this.proc = undefined;
    },
    async stop() {
      await this.proc?.stop();
      this.proc = undefined;
    },
  };
  await db.start();
  system.db = db;
  system.mongoUrl = `${db.url}/${DB_NAME}`;

  // --- NATS: one server (restartable in place) or a 3-node cluster
  const natsLog = createWriteStream(join(logDir, 'nats.log'), { flags: 'a' });
  if (cluster) {
    const c = await infra.startNatsCluster({ dataDir: join(runDir, 'nats'), log, output: natsLog });
    for (const n of c.nodes) guard(n.process.child.pid);
    const start = c.start.bind(c);
    c.start = async (i) => {
      await start(i);
      guard(c.nodes[i].process.child.pid);
    };
    system.nats = c;
  } else {
    const port = await infra.freePort();
    const httpPort = await infra.freePort();
    const dataDir = join(runDir, 'nats');
    const nats = {
      url: `nats://127.0.0.1:${port}`,
      httpPort,
      proc: undefined,
      async start() {
        this.proc = await infra.startNatsServer({ dataDir, port, httpPort, log, output: natsLog });
        guard(this.proc.child.pid);
        await infra.waitForNatsHealthy(httpPort, 30_000);
      },
      async kill() {
        await this.proc?.kill();
        this.proc = undefined;
      },
      async stop() {
        await this.proc?.stop();
        this.proc = undefined;
      },
    };
    await nats.start();
    system.nats = nats;
  }
  system.natsUrl = system.nats.url;
  system.bus = await connectNats(system.natsUrl);

  system.mail = await startMailSink();

  // --- services
  const common = {
    NATS_URL: system.natsUrl,
    MONGO_URL: system.mongoUrl,
    LOG_LEVEL: logLevel,
    HOST: '127.0.0.1',
    SLADESK_ADMIN_API_KEY: ADMIN_KEY,
    SLADESK_SMTP_URL: system.mail.url,
    SLADESK_STREAM_REPLICAS: cluster ? '3' : '1',
    ...env,
  };
  system.gateways = [];
  for (const name of SERVICES) {
    for (let i = 0; i < instances; i++) {
      const own = {};
      if (name === 'gateway') {
        own.PORT = String(await infra.freePort());
        system.gateways.push(`http://127.0.0.1:${own.PORT}`);
      }
      if (name === 'intake') own.SLADESK_SMTP_PORT = String(await infra.freePort()); // one SMTP listener per instance
      system.instances.push(new Instance(system, name, i, { ...common, ...own }));
    }
  }
  system.of = (name) => system.instances.filter((s) => s.name === name);
  system.instance = (id) => system.instances.find((s) => s.id === id);

  system.stop = async () => {
    await Promise.all(system.instances.map((s) => s.stop()));
    await system.bus.close().catch(() => undefined);
    await system.mail.stop();
    await system.nats.stop();
    await system.db.stop();
  };

  try {
    // The first instance of each service creates the streams and consumers; the others join them.
    for (const s of system.instances.filter((x) => x.index === 0)) await s.start();
    await Promise.all(system.instances.filter((x) => x.index > 0).map((s) => s.start()));
    await waitHealthy(system, 120_000);
  } catch (e) {
    await system.stop();
    throw e;
  }
  return system;
}

/** Resolves once every gateway answers /health 200 (NATS, MongoDB and every service up). */
export async function waitHealthy(system, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (const g of system.gateways) {
    for (;;) {
      try {
        const res = await fetch(`${g}/health`, { signal: AbortSignal.timeout(5000) });
        if (res.ok) break;
        last = `${res.status} ${await res.text()}`;
      } catch (e) {
        last = e.message;
      }
      if (Date.now() > deadline) throw new Error(`${g} not healthy within ${timeoutMs / 1000} s: ${last}`);
      await sleep(300);
    }
  }
}
