#!/usr/bin/env node
// SLA durable timers vs BullMQ delayed jobs: the same number of timers with the same due-time spread,
// fired by each system in its own process (one after the other, so they do not share the 2 cores).
//
//   node tools/scripts/build.mjs && node tools/bench/sla/run.mjs
//   node tools/bench/sla/run.mjs --counts 100000 --spreads 120 --burst 0 --handler noop
//
// Options: --counts 100000,1000000   timers per scenario
//          --spreads 120,300         seconds over which their due times are spread (one per count)
//          --burst 100000            an extra scenario: this many timers all overdue at start (drain rate)
//          --handler publish|noop    what firing does: publish a JetStream message with a dedup id (default)
//          --only sla|bullmq
// MONGO_URL / NATS_URL are used when set; otherwise a FerretDB (the project's launcher) and a NATS server
// are started for the run. BullMQ uses the Redis at 127.0.0.1:6379 (REDIS_PORT to change).
// Results: a markdown table on stdout and JSON in tools/bench/sla/results/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssOfMb } from './common.mjs';

const require = createRequire(import.meta.url);
const here = import.meta.dirname;
const root = join(here, '..', '..', '..');
const infra = require(join(root, 'dist/libs/testing/src/infra.js'));
const { TimerStore } = require(join(root, 'dist/apps/sla/src/timers/timer-store.js'));
const mongoose = require('mongoose');
const { Queue } = require('bullmq');
const ioredis = require('ioredis');
const Redis = ioredis.Redis ?? ioredis;

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const counts = arg('counts', '100000,1000000').split(',').map(Number);
const spreads = arg('spreads', '120,300').split(',').map(Number);
const burst = Number(arg('burst', '100000'));
const handler = arg('handler', 'publish');
const only = arg('only', '');
const SLOT_MS = 10_000;
const HORIZON_MS = 60_000;
const CONCURRENCY = Number(arg('concurrency', '128'));
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);
const log = (s) => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${s}`);

const owned = [];
let mongoBase = process.env.MONGO_URL?.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]+).*$/, '$1');
let ferretPid;
if (!mongoBase) {
  const f = await infra.startFerretdb({ dataDir: mkdtempSync(join(tmpdir(), 'sladesk-bench-ferretdb-')), log });
  owned.push(f);
  mongoBase = f.url;
  ferretPid = f.child.pid;
  log(`FerretDB ${f.url}`);
}
let natsUrl = process.env.NATS_URL;
if (!natsUrl) {
  const n = await infra.startNatsServer({ dataDir: mkdtempSync(join(tmpdir(), 'sladesk-bench-nats-')) });
  owned.push(n);
  natsUrl = n.url;
  log(`NATS ${n.url}`);
}
{
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete('SLADESK_BENCH').catch(() => undefined);
  await jsm.streams.add({ name: 'SLADESK_BENCH', subjects: ['sladesk.bench.>'], max_age: 900 * 1e9, duplicate_window: 120 * 1e9 });
  await nc.drain();
}

function child(script, env) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [join(here, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let serverPeak = 0;
    const sampler = setInterval(() => {
      const r = ferretPid ? rssOfMb(ferretPid) : undefined;
      if (r && r > serverPeak) serverPeak = r;
    }, 1000);
    c.stdout.on('data', (b) => {
      out += b;
      // the worker's own log lines (everything but its final JSON line) go to our stderr
      const lines = out.split('\n');
      out = lines.pop();
      for (const l of lines) if (l.startsWith('{"fired"')) out = `${l}\n${out}`; else if (l.trim()) process.stderr.write(`  ${l}\n`);
    });
    c.on('exit', (code) => {
      clearInterval(sampler);
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) return reject(new Error(`${script} exited ${code}: ${out}`));
      resolve({ ...JSON.parse(line), serverPeakRssMb: serverPeak || undefined });
    });
  });
}

/** Due times: uniformly spread over [t0, t0 + spread), or all already overdue for a burst. */
const dueOf = (sc, t0) => (sc.burst ? Date.now() - 1000 - Math.floor(Math.random() * 5000) : t0 + Math.floor(Math.random() * sc.spreadMs));

async function runSla(sc) {
  const url = `${mongoBase}/sladesk_bench_${Date.now()}`;
  const conn = await mongoose.createConnection(url).asPromise();
  const store = new TimerStore(conn.db, SLOT_MS);
  await store.init();
  const started = Date.now();
  // Start the spread after the timers are stored (estimated at 20,000 per second, plus 15 s).
  const t0 = started + (sc.burst ? 0 : Math.ceil(sc.count / 20) + 15_000);
  // Stored in due order, as a bulk import would (so a slot is a few chunks of 2,000, not one per batch).
  const dues = Float64Array.from({ length: sc.count }, () => dueOf(sc, t0)).sort();
  const BATCH = 20_000;
  for (let i = 0; i < sc.count; i += BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(sc.count, i + BATCH); j++) batch.push({ id: `bench${j}.first_response.1.breach`, v: 1, due: dues[j] });
    await store.schedule(batch);
  }
  const storeMs = Date.now() - started;
  log(`sla: stored ${sc.count} timers in ${(storeMs / 1000).toFixed(1)} s${!sc.burst && Date.now() > t0 ? ' (LATE: first ones overdue at start)' : ''}`);
  const result = await child('sla-worker.mjs', {
    COUNT: String(sc.count),
    MAX_MS: String((sc.burst ? 0 : t0 + sc.spreadMs - Date.now()) + 300_000),
    MONGO_URL: url,
    NATS_URL: natsUrl,
    SLOT_MS: String(SLOT_MS),
    HORIZON_MS: String(HORIZON_MS),
    CONCURRENCY: String(CONCURRENCY),
    HANDLER: handler,
  });
  await conn.dropDatabase().catch(() => undefined);
  await conn.close();
  return { system: 'sla timers (FerretDB)', storeMs, t0, ...result };
}

async function runBullmq(sc) {
  const connection = { host: '127.0.0.1', port: REDIS_PORT };
  const name = `sladesk-bench-${Date.now()}`;
  const queue = new Queue(name, { connection });
  const redis = new Redis(connection);
  const started = Date.now();
  // (BullMQ stores about 10,000 delayed jobs per second here.)
  const t0 = started + (sc.burst ? 0 : Math.ceil(sc.count / 8) + 15_000);
  const BATCH = 1000;
  for (let i = 0; i < sc.count; i += BATCH) {
    const jobs = [];
    for (let j = i; j < Math.min(sc.count, i + BATCH); j++) {
      const due = dueOf(sc, t0);
      jobs.push({ name: 't', data: { due }, opts: { delay: Math.max(1, due - Date.now()), removeOnComplete: true, removeOnFail: true } });
    }
    await queue.addBulk(jobs);
  }
  const storeMs = Date.now() - started;
  const usedMemory = /used_memory:(\d+)/.exec(await redis.info('memory'))?.[1];
  log(`bullmq: stored ${sc.count} delayed jobs in ${(storeMs / 1000).toFixed(1)} s (redis used_memory ${Math.round(usedMemory / 1048576)} MB)`);
  const result = await child('bullmq-worker.mjs', {
    COUNT: String(sc.count),
    MAX_MS: String((sc.burst ? 0 : t0 + sc.spreadMs - Date.now()) + 300_000),
    QUEUE: name,
    REDIS_PORT: String(REDIS_PORT),
    NATS_URL: natsUrl,
    CONCURRENCY: String(CONCURRENCY),
    HANDLER: handler,
  });
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await redis.quit();
  return { system: 'BullMQ delayed jobs (Redis)', storeMs, t0, redisUsedMemoryMb: Math.round(usedMemory / 1048576), ...result };
}

const scenarios = counts.map((count, i) => ({ name: `${count.toLocaleString('en')} timers over ${spreads[i] ?? spreads.at(-1)} s`, count, spreadMs: (spreads[i] ?? spreads.at(-1)) * 1000 }));
if (burst > 0) scenarios.push({ name: `${burst.toLocaleString('en')} timers all overdue`, count: burst, burst: true, spreadMs: 0 });

const rows = [];
try {
  for (const sc of scenarios) {
    for (const [system, run] of [
      ['sla', runSla],
      ['bullmq', runBullmq],
    ]) {
      if (only && only !== system) continue;
      log(`${system}: ${sc.name}`);
      const r = await run(sc);
      // Fire rate: timers per second from the first due time (or the first firing, for a burst) to the last firing.
      const from = sc.burst ? r.firstFire : r.t0;
      r.fireRate = Math.round(r.fired / Math.max(0.001, (r.lastFire - from) / 1000));
      rows.push({ scenario: sc.name, handler, ...r });
      log(JSON.stringify(rows.at(-1)));
    }
  }
} finally {
  await Promise.all(owned.map((p) => p.stop()));
}

const ms = (v) => (Number.isFinite(v) ? `${Math.round(v)} ms` : '–');
const lines = [
  `| scenario | system | fired | duplicates | lateness p50 | p99 | max | fire rate (/s) | worker peak RSS | store peak RSS |`,
  `|---|---|---|---|---|---|---|---|---|---|`,
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.system} | ${r.fired.toLocaleString('en')} | ${r.duplicates} | ${r.scenario.includes('overdue') ? '–' : ms(r.p50)} | ${r.scenario.includes('overdue') ? '–' : ms(r.p99)} | ${r.scenario.includes('overdue') ? '–' : ms(r.max)} | ${r.fireRate.toLocaleString('en')} | ${r.peakRssMb} MB | ${r.redisUsedMemoryMb ? `redis used_memory ${r.redisUsedMemoryMb} MB` : r.serverPeakRssMb ? `ferretdb ${r.serverPeakRssMb} MB` : '–'} |`,
  ),
];
console.log(lines.join('\n'));
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ handler, slotMs: SLOT_MS, horizonMs: HORIZON_MS, concurrency: CONCURRENCY, rows }, null, 2));
log(`results in ${file}`);
process.exit(0);
