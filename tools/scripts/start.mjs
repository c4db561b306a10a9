#!/usr/bin/env node
// `npm start`: the whole system on one machine. Starts NATS (JetStream) and FerretDB when NATS_URL /
// MONGO_URL are unset (data under .data/, kept across restarts), then the six services; waits until
// GET /health reports everything up, prints the URLs, and stops it all cleanly on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line) => console.log(`[sladesk] ${line}`);
const started = Date.now();

const build = spawnSync(process.execPath, [join(root, 'tools', 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const infra = createRequire(import.meta.url)(join(root, 'dist', 'libs', 'testing', 'src', 'infra.js'));

const env = { ...process.env };
env.SLADESK_ADMIN_API_KEY ??= 'dev-admin-key-change-me';
env.PORT ??= '3000';
const owned = [];

async function portOrFree(preferred) {
  return (await infra.portAnswers('127.0.0.1', preferred)) ? infra.freePort() : preferred;
}

try {
  if (!env.NATS_URL) {
    const nats = await infra.startNatsServer({ dataDir: join(root, '.data', 'nats'), port: await portOrFree(4222), log });
    owned.push(nats);
    env.NATS_URL = nats.url;
    log(`NATS with JetStream on ${nats.url} (data in .data/nats)`);
  }
  if (!env.MONGO_URL) {
    const mongo = await infra.startFerretdb({ dataDir: join(root, '.data', 'ferretdb'), port: await portOrFree(27017), log });
    owned.push(mongo);
    env.MONGO_URL = `${mongo.url}/sladesk`;
    log(`FerretDB (MongoDB-compatible) on ${mongo.url} (data in .data/ferretdb)`);
  }
} catch (e) {
  log(`could not start local infrastructure: ${e.message}`);
  await Promise.all(owned.map((p) => p.stop()));
  process.exit(1);
}

const services = ['intake', 'sla', 'escalation', 'maintenance', 'reporting', 'gateway'];
const children = services.map((name) => {
  const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist', 'apps', name, 'src', 'main.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${code ?? signal}); stopping everything`);
      void stop(1);
    }
  });
  return child;
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping services…');
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', resolve);
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  await Promise.all(owned.reverse().map((p) => p.stop()));
  log('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const gateway = `http://127.0.0.1:${env.PORT}`;
const deadline = Date.now() + 90_000;
for (;;) {
  if (stopping) break;
  try {
    const res = await fetch(`${gateway}/health`);
    if (res.ok) {
      log(`all services healthy in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      log(`gateway   ${gateway}/v1`);
      log(`API docs  ${gateway}/docs  (OpenAPI: ${gateway}/openapi.json)`);
      log(`health    ${gateway}/health   metrics ${gateway}/metrics`);
      log(`API key   ${env.SLADESK_ADMIN_API_KEY}  (Authorization: Bearer …; set SLADESK_ADMIN_API_KEY to choose)`);
      log('Ctrl-C stops everything');
      break;
    }
  } catch {
    // not listening yet
  }
  if (Date.now() > deadline) {
    log('the system did not become healthy within 90 s; see the logs above');
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 500));
}
