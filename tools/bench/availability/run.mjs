#!/usr/bin/env node
// The monthly availability report for 1,000 components, with 10,000 and then 100,000 incidents in the
// month: what GET /v1/availability?month= costs the sla service (the request over NATS, as the gateway
// sends it), and the ratio of the two (target ≤ 1.25×: the report reads one summary per component,
// never the incidents).
//
//   node tools/scripts/build.mjs && node tools/bench/availability/run.mjs
//   node tools/bench/availability/run.mjs --components 1000 --incidents 10000,100000 --rounds 9
//
// The ledger is written as the sla service leaves it after consuming the incidents' events: per component
// and month the facts document (every incident of the month: 10 or 100 per component) and its summary,
// computed by the service's own code (dist/apps/sla/src/availability), plus the per-incident index
// documents. Then a real sla process (dist) answers the report `rounds` times; the first two are warm-up.
// MONGO_URL is used when set; otherwise a FerretDB (the project's launcher) is started; each scenario gets
// its own NATS server and sla process, and the rounds alternate between them (same background load). Results: a markdown table on stdout and JSON in tools/bench/availability/results/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const here = import.meta.dirname;
const root = join(here, '..', '..', '..');
const infra = require(join(root, 'dist/libs/testing/src/infra.js'));
const { normalizeComponent } = require(join(root, 'dist/apps/sla/src/availability/components.js'));
const { computeMonth } = require(join(root, 'dist/apps/sla/src/availability/ledger.service.js'));
const { monthRange } = require(join(root, 'dist/apps/sla/src/availability/month.js'));
const mongoose = require('mongoose');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const COMPONENTS = Number(arg('components', '1000'));
const INCIDENTS = arg('incidents', '10000,100000').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '9'));
const MONTH = arg('month', '2025-06');
const log = (s) => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${s}`);

const owned = [];
let mongoBase = process.env.MONGO_URL?.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]+).*$/, '$1');
if (!mongoBase) {
  const f = await infra.startFerretdb({ dataDir: mkdtempSync(join(tmpdir(), 'sladesk-bench-ferretdb-')), log });
  owned.push(f);
  mongoBase = f.url;
  log(`FerretDB ${f.url}`);
}
/** Each scenario gets its own NATS server (both sla processes answer the same subjects), so they can run side by side. */
async function natsFor() {
  const n = await infra.startNatsServer({ dataDir: mkdtempSync(join(tmpdir(), 'sladesk-bench-nats-')) });
  owned.push(n);
  return n.url;
}

// A deterministic pseudo-random sequence, so both scenarios are reproducible.
function rng(seed) {
  let x = seed >>> 0;
  return () => ((x = (x * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Half the components have a 99.9 % objective, a quarter 99.5 %, a quarter also a restoration objective. */
function componentOf(n) {
  const id = `bench-${String(n).padStart(4, '0')}`;
  const objectives = [
    {
      id: 'monthly',
      kind: 'availability',
      targetPercent: n % 4 === 1 ? 99.5 : 99.9,
      timeZone: n % 3 === 0 ? 'America/New_York' : 'UTC',
      excludes: ['scheduled_maintenance'],
      availabilityCredits: [
        { belowPercent: 99.9, creditBasisPoints: 1000 },
        { belowPercent: 99, creditBasisPoints: 2500 },
      ],
    },
  ];
  if (n % 4 === 3) objectives.push({ id: 'restoration', kind: 'restoration', maxDuration: 'PT1H', restorationCredits: [{ overMinutes: 0, creditBasisPoints: 500 }] });
  const fields = normalizeComponent({ id, name: `Component ${n}`, kind: 'api', objectives, accountIds: n % 10 === 0 ? [`acct-${n % 7}`] : null });
  const now = new Date();
  return { _id: id, ...fields, builtin: false, version: 1, createdAt: now, updatedAt: now };
}

async function load(db, incidents) {
  const perComponent = Math.round(incidents / COMPONENTS);
  const { start, end } = monthRange(MONTH, 'UTC');
  const random = rng(incidents);
  const components = Array.from({ length: COMPONENTS }, (_, n) => componentOf(n));
  await db.collection('avail_components').insertMany(components);
  let factsBytes = 0;
  let summaryBytes = 0;
  const index = [];
  let written = 0;
  for (let b = 0; b < COMPONENTS; b += 50) {
    const facts = [];
    const months = [];
    for (const c of components.slice(b, b + 50)) {
      const inc = [];
      for (let k = 0; k < perComponent; k++) {
        const s = start + Math.floor(random() * (end - start - 3_600_000));
        const e = s + 60_000 + Math.floor(random() * 29 * 60_000);
        const id = `${c._id}-i${k}`;
        inc.push({ id, r: 2, direct: true, via: [], impact: random() < 0.2 ? 'degraded' : 'outage', s, i: s + 60_000, e, title: `incident ${k}` });
        index.push({ _id: id, rev: 2, p: { title: `incident ${k}`, components: [c._id], impact: 'outage', s, i: s + 60_000, e }, keys: [`${c._id}:${MONTH}`] });
      }
      const doc = { _id: `${c._id}:${MONTH}`, c: c._id, m: MONTH, rev: perComponent * 2, inc, exc: [] };
      const month = computeMonth(c, doc);
      facts.push(doc);
      months.push(month);
      factsBytes += JSON.stringify(doc).length;
      summaryBytes += JSON.stringify(month).length;
    }
    await db.collection('avail_facts').insertMany(facts);
    await db.collection('avail_months').insertMany(months);
    for (let i = 0; i < index.length; i += 5000) await db.collection('avail_incidents').insertMany(index.slice(i, i + 5000));
    written += index.length;
    index.length = 0;
  }
  return { perComponent, factsBytes, summaryBytes, indexDocs: written };
}

function startSla(mongoUrl, natsUrl) {
  const c = spawn(process.execPath, [join(root, 'dist/apps/sla/src/main.js')], {
    env: { ...process.env, MONGO_URL: mongoUrl, NATS_URL: natsUrl, LOG_LEVEL: 'info', SLADESK_AVAILABILITY_PROBES: 'false', NODE_ENV: 'bench' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const on = (b) => {
      out = (out + b).slice(-20_000);
      if (out.includes('sla ready')) resolve();
    };
    c.stdout.on('data', on);
    c.stderr.on('data', on);
    c.once('exit', (code) => reject(new Error(`sla exited ${code}: ${out.slice(-2000)}`)));
  });
  return { child: c, ready, stop: () => new Promise((r) => (c.exitCode !== null ? r() : (c.once('exit', r), c.kill('SIGTERM')))) };
}

const { connect } = await import('@nats-io/transport-node');
const ask = async (nc) => {
  const t = performance.now();
  const m = await nc.request('sladesk.rpc.sla.availability.get.v1', new TextEncoder().encode(JSON.stringify({ month: MONTH })), { timeout: 300_000 });
  const ms = performance.now() - t;
  const reply = m.json();
  if (!reply.ok) throw new Error(`report failed: ${JSON.stringify(reply.error)}`);
  return { ms, bytes: m.data.length, report: reply.data };
};

// Load every scenario and start its sla process, then ask them in turn, round after round: whatever else
// the (shared) machine does meanwhile weighs on both alike.
const scenarios = [];
const results = [];
try {
  for (const incidents of INCIDENTS) {
    const url = `${mongoBase}/sladesk_bench_availability_${incidents}_${Date.now()}`;
    const conn = await mongoose.createConnection(url).asPromise();
    const loadStarted = Date.now();
    const loaded = await load(conn.db, incidents);
    log(`${incidents} incidents over ${COMPONENTS} components loaded in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s (facts ${(loaded.factsBytes / 1e6).toFixed(1)} MB, summaries ${(loaded.summaryBytes / 1e6).toFixed(2)} MB)`);
    const natsUrl = process.env.NATS_URL && INCIDENTS.length === 1 ? process.env.NATS_URL : await natsFor();
    const sla = startSla(url, natsUrl);
    await sla.ready;
    const nc = await connect({ servers: natsUrl });
    scenarios.push({ incidents, conn, loaded, sla, nc, times: [], last: undefined });
  }
  for (let r = 0; r < ROUNDS + 2; r++) {
    for (const sc of r % 2 ? [...scenarios].reverse() : scenarios) {
      sc.last = await ask(sc.nc);
      if (r >= 2) sc.times.push(sc.last.ms);
    }
  }
  for (const sc of scenarios) {
    const { loaded, last, times, incidents } = sc;
    const counted = last.report.components.reduce((n, c) => n + c.incidentsCounted, 0);
    // a third of the components measure New York months: the UTC month's first hours fall in May there
    if (counted > loaded.perComponent * COMPONENTS || counted < 0.99 * loaded.perComponent * COMPONENTS) {
      throw new Error(`the report counted ${counted} incidents, ${loaded.perComponent * COMPONENTS} were loaded`);
    }
    times.sort((a, b) => a - b);
    results.push({
      incidents,
      components: last.report.components.length,
      counted,
      perComponent: loaded.perComponent,
      factsMb: loaded.factsBytes / 1e6,
      summariesMb: loaded.summaryBytes / 1e6,
      replyKb: last.bytes / 1000,
      p50: times[Math.floor(times.length / 2)],
      min: times[0],
      max: times[times.length - 1],
      rounds: times.length,
    });
    log(`${incidents}: p50 ${results.at(-1).p50.toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times.at(-1).toFixed(0)})`);
  }
} finally {
  for (const sc of scenarios) {
    await sc.sla.stop();
    await sc.nc.drain().catch(() => undefined);
    await sc.conn.dropDatabase().catch(() => undefined);
    await sc.conn.close();
  }
  for (const p of owned) await p.stop().catch(() => undefined);
}

const base = results[0];
const lines = [
  '| incidents in the month | components in the report | incidents per component | facts stored | summaries read | reply | report p50 | min | max | p50 ratio | min ratio |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.incidents.toLocaleString('en')} | ${r.components} | ${r.perComponent} | ${r.factsMb.toFixed(1)} MB | ${r.summariesMb.toFixed(2)} MB | ${r.replyKb.toFixed(0)} kB | ${r.p50.toFixed(0)} ms | ${r.min.toFixed(0)} ms | ${r.max.toFixed(0)} ms | ${(r.p50 / base.p50).toFixed(2)}× | ${(r.min / base.min).toFixed(2)}× |`,
  ),
];
console.log(lines.join('\n'));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ month: MONTH, rounds: ROUNDS, results }, null, 2));
