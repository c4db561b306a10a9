#!/usr/bin/env node
// `npm start`: the whole system on one machine, supervised. Starts NATS (JetStream), FerretDB and the
// Mailpit mail catcher when NATS_URL / MONGO_URL / SLADESK_SMTP_URL are unset (data under .data/, kept
// across restarts), then the six services; prints the URLs once GET /health reports everything up.
// A process that exits unexpectedly is started again (backoff 1 s doubling to 30 s, reset after 30 s
// up) and the restart is logged; only Ctrl-C or SIGTERM stops everything, services first.
// Output: readable lines on a terminal (services through pino-pretty), JSON lines otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const started = Date.now();
const tty = Boolean(process.stdout.isTTY);

/** One line of the supervisor's own log: `[sladesk] …` on a terminal, a pino-shaped JSON line otherwise. */
function say(msg, fields = {}, level = 30) {
  if (tty) console.log(`[sladesk] ${msg}`);
  else process.stdout.write(`${JSON.stringify({ level, time: Date.now(), service: 'start', pid: process.pid, msg, ...fields })}\n`);
}
const warn = (msg, fields) => say(msg, fields, 40);

if (!process.env.SLADESK_SKIP_BUILD) {
  const build = spawnSync(process.execPath, [join(root, 'tools', 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const infra = createRequire(import.meta.url)(join(root, 'dist', 'libs', 'testing', 'src', 'infra.js'));

const env = { ...process.env };
env.SLADESK_ADMIN_API_KEY ??= 'dev-admin-key-change-me';
// The Intercom webhook answers 503 without a secret; this one is what `npm run demo` signs with.
env.SLADESK_INTERCOM_CLIENT_SECRET ??= 'dev-intercom-secret-change-me';
const dataDir = env.SLADESK_DATA_DIR ?? join(root, '.data');
const stateFile = join(dataDir, 'npm-start.json');
const gatewayPort = Number(env.PORT ?? 3000);
env.PORT = String(gatewayPort);

if (await infra.portAnswers('127.0.0.1', gatewayPort)) {
  say(`port ${gatewayPort} is in use (another npm start?); stop it or choose another with PORT=…`, { event: 'port-in-use' }, 50);
  process.exit(1);
}

async function portOrFree(preferred) {
  return (await infra.portAnswers('127.0.0.1', preferred)) ? infra.freePort() : preferred;
}

let stopping = false;
let stopped;
const units = [];

/**
 * A process kept running: `launch()` starts it and resolves with { child, stop } once it is up; when it
 * exits and we are not stopping, it is launched again after a backoff.
 */
function supervise(name, launch, kind) {
  const unit = { name, kind, failures: 0, restarts: 0, current: undefined, timer: undefined, startedAt: 0 };
  const schedule = (why, upMs) => {
    if (upMs >= 30_000) unit.failures = 0;
    const delay = Math.min(1000 * 2 ** unit.failures, 30_000);
    unit.failures++;
    unit.restarts++;
    warn(`${name} exited unexpectedly (${why}) after ${(upMs / 1000).toFixed(1)} s; restarting in ${delay / 1000} s (restart ${unit.restarts})`, {
      event: 'exited',
      unit: name,
      reason: why,
      upMs,
      restartInMs: delay,
      restarts: unit.restarts,
    });
    unit.timer = setTimeout(() => {
      unit.timer = undefined;
      void start().then(() => watchHealthAfterRestart(name));
    }, delay);
  };
  const start = async () => {
    if (stopping) return;
    unit.startedAt = Date.now();
    let current;
    try {
      current = await launch();
    } catch (e) {
      if (unit.restarts === 0 && kind === 'infra') throw e; // the first start of infrastructure must work
      schedule(`start failed: ${e.message.split('\n')[0]}`, Date.now() - unit.startedAt);
      return;
    }
    unit.current = current;
    say(`${name} started (pid ${current.child.pid})`, { event: 'started', unit: name, childPid: current.child.pid, restarts: unit.restarts });
    current.child.once('exit', (code, signal) => {
      unit.current = undefined;
      if (!stopping) schedule(signal ?? `code ${code}`, Date.now() - unit.startedAt);
    });
    if (stopping) await current.stop(); // Ctrl-C came while it was starting
  };
  unit.start = start;
  unit.stop = async () => {
    clearTimeout(unit.timer);
    await unit.current?.stop();
  };
  units.push(unit);
  return unit;
}

/** Resolves once the child has exited (SIGTERM first, SIGKILL after `graceMs`). */
function stopChild(child, graceMs) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function stop(code = 0) {
  stopped ??= (async () => {
    stopping = true;
    say('stopping services…', { event: 'stopping' });
    const services = units.filter((u) => u.kind === 'service');
    const servers = units.filter((u) => u.kind === 'infra').reverse();
    await Promise.all(services.map((u) => u.stop()));
    for (const u of servers) await u.stop();
    rmSync(stateFile, { force: true });
    say('stopped', { event: 'stopped' });
    process.exit(code);
  })();
  return stopped;
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0)); // the terminal closed: our children are in their own groups
process.on('uncaughtException', (e) => {
  say(`supervisor failed: ${e.stack ?? e}`, { event: 'failed' }, 50);
  void stop(1);
});

// Infrastructure we own: each in its own process group, so Ctrl-C reaches only us and we stop services
// before the servers they need. A restarted server keeps its port and data.
const infraUnit = (name, startServer) => {
  let port;
  return supervise(
    name,
    async () => {
      const p = await startServer(port);
      port = p.port;
      return { child: p.child, stop: () => p.stop(), process: p };
    },
    'infra',
  );
};
const mailPorts = {};
try {
  const launches = [];
  if (!env.NATS_URL) {
    const unit = infraUnit('nats', async (port) =>
      infra.startNatsServer({ dataDir: join(dataDir, 'nats'), port: port ?? (await portOrFree(4222)), log: say, detached: true }),
    );
    launches.push(
      unit.start().then(() => {
        env.NATS_URL = unit.current.process.url;
        say(`NATS with JetStream on ${env.NATS_URL} (data in ${join(dataDir, 'nats')})`);
      }),
    );
  }
  if (!env.MONGO_URL) {
    const unit = infraUnit('ferretdb', async (port) =>
      infra.startFerretdb({ dataDir: join(dataDir, 'ferretdb'), port: port ?? (await portOrFree(27017)), log: say, detached: true }),
    );
    launches.push(
      unit.start().then(() => {
        env.MONGO_URL = `${unit.current.process.url}/sladesk`;
        say(`FerretDB (MongoDB-compatible) on ${unit.current.process.url} (data in ${join(dataDir, 'ferretdb')})`);
      }),
    );
  }
  if (!env.SLADESK_SMTP_URL) {
    const unit = infraUnit('mailpit', async (port) => {
      mailPorts.smtp ??= await portOrFree(Number(env.SLADESK_MAILPIT_SMTP_PORT ?? 1025));
      return infra.startMailpit({
        dataDir: join(dataDir, 'mailpit'),
        port: port ?? (await portOrFree(Number(env.SLADESK_MAILPIT_PORT ?? 8025))),
        smtpPort: mailPorts.smtp,
        log: say,
        detached: true,
      });
    });
    launches.push(
      unit.start().then(() => {
        env.SLADESK_SMTP_URL = unit.current.process.smtpUrl;
        mailPorts.ui = unit.current.process.url;
        say(`Mailpit catches all outgoing mail on ${env.SLADESK_SMTP_URL} (data in ${join(dataDir, 'mailpit')})`);
      }),
    );
  }
  const results = await Promise.allSettled(launches);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
} catch (e) {
  say(`could not start local infrastructure: ${e.message}`, { event: 'failed' }, 50);
  await stop(1);
}
// Every service that sends mail sends it to the same relay, SLADESK_SMTP_URL (intake still reads its
// former SLADESK_SMTP_RELAY_URL when that is set).

const SERVICES = ['intake', 'sla', 'escalation', 'maintenance', 'reporting', 'gateway'];
for (const name of SERVICES) {
  const main = join(root, 'dist', 'apps', name, 'src', 'main.js');
  const unit = supervise(
    name,
    async () => {
      const child = spawn(process.execPath, ['--enable-source-maps', main], {
        cwd: root,
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true,
      });
      return { child, stop: () => stopChild(child, 15_000) };
    },
    'service',
  );
  await unit.start();
}

const gateway = `http://127.0.0.1:${gatewayPort}`;
const servicesStarted = Date.now();

/** GET /health: { ok, body } (never throws). */
async function health() {
  try {
    const res = await fetch(`${gateway}/health`, { signal: AbortSignal.timeout(5000) });
    return { ok: res.ok, body: await res.json().catch(() => undefined) };
  } catch (e) {
    return { ok: false, body: { error: e.message } };
  }
}
const downParts = (body) =>
  [
    ...(body?.nats && body.nats !== 'up' ? ['nats'] : []),
    ...(body?.mongodb && body.mongodb !== 'up' ? ['mongodb'] : []),
    ...(body?.services ?? []).filter((s) => s.status !== 'up').map((s) => s.service),
  ].join(', ') || body?.error || 'gateway';

let watching;
/** After a restart: one line once /health is all up again. */
function watchHealthAfterRestart(name) {
  const since = Date.now();
  watching ??= (async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      if (stopping) return;
      if ((await health()).ok) {
        say(`all services healthy again (${((Date.now() - since) / 1000).toFixed(1)} s after ${name} restarted)`, { event: 'healthy' });
        watching = undefined;
        return;
      }
    }
  })();
}

let warned = false;
for (;;) {
  if (stopping) break;
  const h = await health();
  if (h.ok) {
    const urls = {
      gateway: `${gateway}/v1`,
      docs: `${gateway}/docs`,
      openapi: `${gateway}/openapi.json`,
      asyncapi: `${gateway}/asyncapi.json`,
      health: `${gateway}/health`,
      metrics: `${gateway}/metrics`,
      ...(mailPorts.ui ? { mail: mailPorts.ui } : {}),
      smtpIn: `smtp://127.0.0.1:${env.SLADESK_SMTP_PORT ?? 2525}`,
      nats: env.NATS_URL,
    };
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s${servicesStarted - started > 10_000 ? `, ${((Date.now() - servicesStarted) / 1000).toFixed(1)} s after the servers were up` : ''}`;
    say(`all services healthy in ${took}`, { event: 'ready', urls, services: h.body?.services });
    // Where things are, for `npm run demo` and other tools (no secrets); removed when we stop.
    mkdirSync(dataDir, { recursive: true });
    const supportAddress = (env.SLADESK_SUPPORT_ADDRESSES ?? 'support@sladesk.local').split(',')[0].trim();
    writeFileSync(stateFile, `${JSON.stringify({ pid: process.pid, urls, supportAddress }, null, 2)}\n`);
    if (tty) {
      say(`gateway   ${urls.gateway}`);
      say(`API docs  ${urls.docs}  (OpenAPI: ${urls.openapi}, AsyncAPI: ${urls.asyncapi})`);
      say(`health    ${urls.health}   metrics ${urls.metrics}`);
      say(`API key   ${env.SLADESK_ADMIN_API_KEY}  (Authorization: Bearer …; set SLADESK_ADMIN_API_KEY to choose)`);
      if (urls.mail) say(`mail      ${urls.mail}  (Mailpit: every mail the system sends)`);
      else say(`mail      sent to ${env.SLADESK_SMTP_URL}`);
      say(`mail in   ${urls.smtpIn} (the support addresses' SMTP listener)   NATS ${urls.nats}`);
      say('try it    npm run demo   (a small realistic history, safe to run twice)');
      say('Ctrl-C stops everything');
    }
    break;
  }
  if (!warned && Date.now() - servicesStarted > 90_000) {
    warned = true;
    warn(`not healthy 90 s after the services started (down: ${downParts(h.body)}); still trying, see the logs above`, {
      event: 'slow',
      health: h.body,
    });
  }
  await new Promise((r) => setTimeout(r, 500));
}
