#!/usr/bin/env node
// Benchmark (run on demand, not a test): sustained POST /v1/cases through the whole pipeline
// (HTTP → gateway → NATS → intake → MongoDB → outbox → JetStream event), side by side with a
// NestJS + Fastify hello-world on the same machine in the same run.
//   node tools/bench/intake/run.mjs            (MONGO_URL wins; otherwise a FerretDB is started)
//   BENCH_SECONDS=20 BENCH_CONNECTIONS=64 node tools/bench/intake/run.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const KEY = 'bench-admin-key-0123456789';
const log = (line) => console.error(`[bench] ${line}`);

const build = spawnSync(process.execPath, [join(root, 'tools', 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const infra = require(join(root, 'dist', 'libs', 'testing', 'src', 'infra.js'));
const { NatsBus } = require(join(root, 'dist', 'libs', 'messaging', 'src', 'index.js'));
const mongoose = require('mongoose');

const owned = [];
const children = [];
function start(name, file, env, readyText) {
  const child = spawn(process.execPath, [file], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b) => {
      out += b.toString();
      const m = readyText.exec(out);
      if (m) resolve(m);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${out.slice(-2000)}`)));
  });
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts }, (err, r) => (err ? reject(err) : resolve(r)));
  });
}
const summary = (r) => ({
  rps: Math.round(r.requests.average),
  p50: r.latency.p50,
  p99: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
  total: r.requests.total,
});

let exitCode = 0;
const dataDir = mkdtempSync(join(tmpdir(), 'sladesk-bench-'));
try {
  const nats = await infra.startNatsServer({ dataDir: join(dataDir, 'nats') });
  owned.push(nats);
  let mongoUrl = process.env.MONGO_URL;
  if (!mongoUrl) {
    const ferret = await infra.startFerretdb({ dataDir: join(dataDir, 'ferretdb'), log });
    owned.push(ferret);
    mongoUrl = `${ferret.url}/sladesk_bench`;
  }
  const [smtpPort, httpPort, helloPort] = await Promise.all([infra.freePort(), infra.freePort(), infra.freePort()]);
  const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
  await start('intake', join(root, 'dist/apps/intake/src/main.js'), { ...env, SLADESK_SMTP_PORT: String(smtpPort), LOG_LEVEL: 'info' }, /intake ready/);
  await start('gateway', join(root, 'dist/apps/gateway/src/main.js'), { ...env, PORT: String(httpPort), SLADESK_ADMIN_API_KEY: KEY, LOG_LEVEL: 'info' }, /listening on/);
  await start('hello-world', join(root, 'tools/bench/intake/hello-world.cjs'), { PORT: String(helloPort) }, /hello ready/);
  const gateway = `http://127.0.0.1:${httpPort}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };
  const account = await fetch(`${gateway}/v1/accounts`, { method: 'POST', headers, body: JSON.stringify({ id: 'bench', name: 'Bench', timeZone: 'UTC' }) });
  if (account.status !== 201 && account.status !== 409) throw new Error(`creating the account: ${account.status} ${await account.text()}`);
  const body = JSON.stringify({
    accountId: 'bench',
    contact: { name: 'Load Tester', email: 'load@bench.test' },
    channel: 'api',
    subject: 'Reports are slow',
    description: 'The monthly report takes minutes to load since the last update.',
  });
  const hello = { url: `http://127.0.0.1:${helloPort}/v1/hello`, method: 'POST', headers: { 'content-type': 'application/json' }, body };
  const cases = { url: `${gateway}/v1/cases`, method: 'POST', headers, body };

  log(`warming up (${cpus().length} cores)…`);
  await cannon({ ...hello, duration: 3 });
  await cannon({ ...cases, duration: 3 });
  log(`hello-world: ${CONNECTIONS} connections, ${SECONDS} s`);
  const helloMax = summary(await cannon(hello));
  log(`POST /v1/cases, as fast as it goes: ${CONNECTIONS} connections, ${SECONDS} s`);
  const casesMax = summary(await cannon(cases));
  const half = Math.max(1, Math.round(helloMax.rps * 0.125));
  log(`POST /v1/cases at a fixed ${half} req/s (half of the goal rate, 0.25 × hello-world)`);
  const casesHalf = summary(await cannon({ ...cases, overallRate: half }));

  // The pipeline ends with the event: wait until every case's case.opened is in JetStream.
  const bus = await NatsBus.connect(nats.url, 'bench');
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  const drainStart = Date.now();
  let pending = 1;
  while (pending > 0 && Date.now() - drainStart < 120_000) {
    pending = await db.collection('cases').countDocuments({ 'outbox.0': { $exists: true } });
    if (pending) await new Promise((r) => setTimeout(r, 200));
  }
  const drainSeconds = (Date.now() - drainStart) / 1000;
  const stored = await db.collection('cases').countDocuments({ accountId: 'bench' });
  const info = await bus.jsm.streams.info('SLADESK_EVENTS', { subjects_filter: 'sladesk.evt.case.opened.v1' });
  const events = info.state.subjects?.['sladesk.evt.case.opened.v1'] ?? 0;
  if (!process.env.MONGO_URL || mongoUrl.includes('bench')) await db.dropDatabase();
  await db.close();
  await bus.close();

  const ratio = casesMax.rps / helloMax.rps;
  const rows = [
    ['NestJS + Fastify hello-world (peer)', helloMax],
    ['POST /v1/cases, max', casesMax],
    [`POST /v1/cases at ${half} req/s`, casesHalf],
  ];
  console.log(`\n${cpus().length} cores, ${CONNECTIONS} connections, ${SECONDS} s per run, database ${process.env.MONGO_URL ? 'MONGO_URL' : 'FerretDB 1.24 (SQLite)'}\n`);
  console.log('| run | req/s | p50 ms | p99 ms | non-2xx | errors |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, s] of rows) console.log(`| ${name} | ${s.rps} | ${s.p50} | ${s.p99} | ${s.non2xx} | ${s.errors} |`);
  console.log(`\ncases/s ÷ hello-world req/s = ${ratio.toFixed(3)} (goal ≥ 0.25); p99 at ${half} req/s = ${casesHalf.p99} ms (goal < 100 ms)`);
  console.log(`cases stored: ${stored}; case.opened events in JetStream: ${events}; outbox drained ${drainSeconds.toFixed(1)} s after the last request`);
  if (stored !== events) {
    console.log('MISMATCH: not every stored case has its event');
    exitCode = 1;
  }
} catch (e) {
  console.error(`[bench] failed: ${e.stack ?? e}`);
  exitCode = 1;
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await Promise.all(owned.reverse().map((p) => p.stop()));
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(exitCode);
}
