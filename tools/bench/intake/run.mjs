#!/usr/bin/env node
// Benchmark (run on demand, never in npm test): POST /v1/cases through the whole pipeline
//   HTTP → gateway → NATS → intake → MongoDB (+ outbox) → case.opened on JetStream → sla starts the
//   clocks → escalation records Tier 1 (the account's CSM)
// with a small and a large number of existing cases, side by side with two peers measured in the same
// run on the same machine: a NestJS + Fastify hello-world and a NestJS + mongoose endpoint doing one
// insertOne per request on the same database server. Method and caveats: README.md next to this file.
//
//   node tools/bench/intake/run.mjs                       (FerretDB via the project's launcher; MONGO_URL wins)
//   BENCH_SEED_SMALL=1000 BENCH_SEED_LARGE=5000 BENCH_SECONDS=5 node tools/bench/intake/run.mjs
//
// Environment (defaults in brackets):
//   BENCH_SECONDS [20]            length of every measured load (max rate, fixed rate, peers)
//   BENCH_WARMUP_SECONDS [5]      load before each measurement (its cases count as existing ones)
//   BENCH_CONNECTIONS [32]        cases in flight in the max-rate load; autocannon connections for the peers and the fixed rate
//   BENCH_SEED_SMALL [1000]       existing cases for the first measurement
//   BENCH_SEED_LARGE [100000]     existing cases for the second (0 skips it)
//   BENCH_SEED_OPEN_PERCENT [10]  share of seeded cases that are open (the rest are resolved)
//   BENCH_SEED_BATCH [250]        cases per insertMany round
//   BENCH_ACCOUNTS [5]            accounts (each with its CSM) that cases are spread over
//   BENCH_RETRY_EVERY [10]        every n-th request repeats an earlier one (same Idempotency-Key and body)
//   BENCH_DRAIN_SECONDS [120]     how long to wait for a case to get through (clock started, Tier 1 recorded)
//   BENCH_SETTLE_SECONDS [60]     how long to wait for the consumers' backlog to clear between steps
//   BENCH_VERIFY_SAMPLE [0]       check SLA clocks over the API for this many cases per run (0: all)
//   BENCH_FIXED_LOAD [open]       the half-rate load: open (evenly spaced, open loop) or autocannon (overallRate)
//   BENCH_VERIFY_SCAN [auto]      also scan intake's cases for per-key counts: always, never, auto (≤ 20,000 existing)
//   BENCH_REF                     benchmark this commit (git archive) instead of the working tree
//   MONGO_URL                     measure this server (a fresh database on it, dropped afterwards)
// Results: markdown on stdout, progress on stderr, JSON in tools/bench/intake/results/<timestamp>.json.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureTemplates, seedCases } from './seed.mjs';
import { connectNats, lastSeq, messageCount, settle, watch } from './stream.mjs';
import { build, guard, infra, log, node, out, startMailSink, startServices } from './system.mjs';

// ---------------------------------------------------------------------------------------------------
// What the harness relies on besides the REST API. Confirmed in the code; when the services change
// their storage or subjects, update it here (and nowhere else).
const STREAM = 'SLADESK_EVENTS'; // libs/contracts/src/infra.ts Streams.Events
const DLQ_STREAM = 'SLADESK_DLQ'; // Streams.DeadLetters
const SUBJECT = {
  caseOpened: 'sladesk.evt.case.opened.v1', // libs/contracts/src/cases.ts, payload.caseId
  clockStarted: 'sladesk.evt.sla.clock-started.v1', // libs/contracts/src/sla.ts, payload.caseId/clock/cycle
  escalated: 'sladesk.evt.escalation.escalated.v1', // libs/contracts/src/escalation.ts, payload.escalationId/caseId/level/reason/repeat
};
const STORE = {
  // intake (apps/intake/src/cases/case.schema.ts): _id = case id (uuid v7), idempotencyScope = `<accountId>:<Idempotency-Key>`
  cases: 'cases',
  // intake (case.repository.ts reserveNumbers): the highest case number reserved so far
  caseNumberCounter: { collection: 'counters', id: 'case-number', field: 'value' },
  // intake (apps/intake/src/common/keys.ts): string forms of a case number besides the `number` field and `#<n>` in texts
  numberTokens: [(n) => `number:${n}`],
  // escalation (apps/escalation/src/escalations/escalation.schema.ts): _id, caseId, level, reason
  escalations: 'escalations',
  // sla (apps/sla/src/clocks/case-index.ts): append-only lists `<list>:<k>` with a hint `n:<list>` where they end
  positionHints: { sla_case_index: { id: (list) => `n:${list}`, field: 'n' } },
  // escalation's Tier 2 load sets keep each case in the bucket its id hashes to (load-sets.ts); a clone is
  // listed beside its template, so after seeding the service's own repair moves clones to their buckets.
  loadSets: { collection: 'esc_sets', module: 'apps/escalation/src/keyed/load-sets.js' },
  // … and its repeated-category day sets keep only the policy's threshold (default 3) of earliest and
  // latest cases of a day (IdSets.addBounded); the clones all join their template's day: trimmed likewise.
  daySets: { collection: 'esc_sets', module: 'apps/escalation/src/keyed/id-sets.js', keep: 3 },
  // Never cloned when seeding (README: "How the seed is made"): timer chunks and leases, and the
  // due-time buckets of escalation, intake, maintenance and outbound (the clones' entries would all fall
  // into the templates' 10-second buckets, due as the run starts) and outbound's in-flight batches (each
  // clone would join its template's list), the sla outbox (empty when settled),
  // reporting's per-day counters (shared by many cases), dead letters.
  seedSkip: [
    'sla_timer_slots',
    'sla_timer_leases',
    'sla_timer_meta',
    'esc_due',
    'intake_due',
    'maintenance_due',
    'outbound_due',
    'outbound_batches',
    'sla_outbox',
    'rm_case_counts_daily',
    'dead_letters',
  ],
};
// ---------------------------------------------------------------------------------------------------

const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${v}`);
  return n;
};
const CFG = {
  seconds: num('BENCH_SECONDS', 20),
  warmupSeconds: num('BENCH_WARMUP_SECONDS', 5),
  connections: Math.max(1, num('BENCH_CONNECTIONS', 32)),
  seedSmall: num('BENCH_SEED_SMALL', 1000),
  seedLarge: num('BENCH_SEED_LARGE', 100_000),
  openPercent: num('BENCH_SEED_OPEN_PERCENT', 10),
  seedBatch: Math.max(1, num('BENCH_SEED_BATCH', 250)),
  accounts: Math.max(1, num('BENCH_ACCOUNTS', 5)),
  retryEvery: num('BENCH_RETRY_EVERY', 10),
  drainSeconds: num('BENCH_DRAIN_SECONDS', 120),
  settleSeconds: num('BENCH_SETTLE_SECONDS', 60),
  verifySample: num('BENCH_VERIFY_SAMPLE', 0),
  verifyScan: process.env.BENCH_VERIFY_SCAN || 'auto',
  fixedLoad: process.env.BENCH_FIXED_LOAD || 'open',
};
if (!['open', 'autocannon'].includes(CFG.fixedLoad))
  throw new Error('BENCH_FIXED_LOAD must be open or autocannon');
if (!['auto', 'always', 'never'].includes(CFG.verifyScan))
  throw new Error('BENCH_VERIFY_SCAN must be auto, always or never');
const TARGET = { largeOverSmall: 0.8, overInsertOne: 0.25, p99Ms: 250 };
const KEY = 'bench-admin-key-0123456789';
const RUN = new Date()
  .toISOString()
  .replace(/[-:.TZ]/g, '')
  .slice(0, 14);
const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const mongoose = require('mongoose');

// Two kinds of inquiry, classified differently by intake's rules (technical/high and billing/normal).
const VARIANTS = [
  {
    subject: 'Reports are slow',
    description: 'The monthly report takes minutes to load since the last update.',
  },
  {
    subject: 'Invoice shows the wrong address',
    description: 'Our last invoice lists the billing address we had before we moved.',
  },
];
const accountId = (i) => `bench-${i + 1}`;
const csmId = (i) => `bench-csm-${i + 1}`;
const caseBody = (n) => ({
  accountId: accountId(n % CFG.accounts),
  contact: { name: 'Load Tester', email: `load${n % 97}@bench.test` },
  channel: 'api',
  ...VARIANTS[Math.floor(n / CFG.accounts) % VARIANTS.length],
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null;
async function pool(items, concurrency, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}
/** The smallest uuid v7 of a millisecond (uuid v7 strings sort by creation time). */
const lowUuid = (ms) => {
  const h = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-0000-0000-000000000000`;
};

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CFG.connections, duration: CFG.seconds, timeout: 30, ...opts }, (err, r) =>
      err ? reject(err) : resolve(r),
    );
  });
}
const summary = (r) => ({
  rps: Math.round((r.requests.total - r.non2xx) / r.duration),
  offeredRps: Math.round(r.requests.total / r.duration),
  p50: r.latency.p50,
  p99: r.latency.p99,
  max: r.latency.max,
  total: r.requests.total,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  seconds: r.duration,
  statusCodes: r.statusCodeStats,
  loadAverage1m: Math.round(loadavg()[0] * 10) / 10,
});

// ------------------------------------------------------------------------------------ one load ----
/** Requests with unique Idempotency-Keys (every n-th one a retry of an earlier request), and what came back. */
class Load {
  constructor(tag) {
    this.tag = tag;
    this.n = 0;
    this.sent = new Map(); // key → { body, at }
    this.recent = [];
    this.retries = 0;
    this.answers = new Map(); // key → Set(case ids) from 2xx answers
    this.statuses = {};
    this.events = {
      opened: new Map(),
      clocks: new Map(),
      clockFirst: new Map(),
      tier1: new Map(),
      otherEscalations: 0,
    };
    this.waiters = new Map(); // case id → [resolve]
  }

  /** When the case was through the pipeline (a clock started and Tier 1 recorded), or undefined. */
  doneAt(id) {
    const clock = this.events.clockFirst.get(id);
    const tier1 = this.events.tier1.get(id);
    if (clock === undefined || !tier1) return undefined;
    return Math.max(clock, Math.min(...tier1.values()));
  }

  /** Resolves once the case is through the pipeline, or after `timeoutMs`. */
  whenDone(id, timeoutMs) {
    if (this.doneAt(id) !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      const list = this.waiters.get(id) ?? [];
      list.push(() => {
        clearTimeout(t);
        resolve(true);
      });
      this.waiters.set(id, list);
    });
  }

  #check(id) {
    const list = this.waiters.get(id);
    if (!list || this.doneAt(id) === undefined) return;
    this.waiters.delete(id);
    for (const w of list) w();
  }

  next() {
    if (CFG.retryEvery > 0 && this.recent.length > 0 && this.n % CFG.retryEvery === CFG.retryEvery - 1) {
      this.n += 1;
      this.retries += 1;
      const key = this.recent[Math.floor(Math.random() * this.recent.length)];
      return { key, body: this.sent.get(key).body, retry: true };
    }
    const n = this.n++;
    const key = `${this.tag}-${n}`;
    const body = JSON.stringify(caseBody(n));
    this.sent.set(key, { body, at: Date.now() });
    this.recent.push(key);
    if (this.recent.length > 200) this.recent.shift();
    return { key, body, retry: false };
  }

  request(gateway) {
    return {
      url: gateway,
      requests: [
        {
          method: 'POST',
          path: '/v1/cases',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
          setupRequest: (req, context) => {
            const r = this.next();
            context.key = r.key;
            return { ...req, headers: { ...req.headers, 'idempotency-key': r.key }, body: r.body };
          },
          onResponse: (status, body, context) => this.answered(context.key, status, body),
        },
      ],
    };
  }

  answered(key, status, body) {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status < 200 || status > 299 || !key) return;
    let id;
    try {
      id = JSON.parse(body).id;
    } catch {
      return;
    }
    if (!this.answers.has(key)) this.answers.set(key, new Set());
    this.answers.get(key).add(id);
  }

  onEvent = (subject, env, storedAt) => {
    const p = env?.payload ?? {};
    if (subject === SUBJECT.caseOpened) {
      this.events.opened.set(p.caseId, (this.events.opened.get(p.caseId) ?? 0) + 1);
    } else if (subject === SUBJECT.clockStarted) {
      const k = `${p.caseId}|${p.clock}|${p.cycle}`;
      this.events.clocks.set(k, (this.events.clocks.get(k) ?? 0) + 1);
      if (!this.events.clockFirst.has(p.caseId)) this.events.clockFirst.set(p.caseId, storedAt);
      this.#check(p.caseId);
    } else if (subject === SUBJECT.escalated) {
      if (p.level === 'tier1' && p.reason === 'new_case' && p.repeat === 0) {
        if (!this.events.tier1.has(p.caseId)) this.events.tier1.set(p.caseId, new Map());
        const m = this.events.tier1.get(p.caseId);
        if (!m.has(p.escalationId)) m.set(p.escalationId, storedAt);
        this.#check(p.caseId);
      } else this.events.otherEscalations += 1;
    }
  };

  /** Distinct case ids answered with 2xx, with the key that first produced each. */
  acceptedCases() {
    const byCase = new Map();
    for (const [key, ids] of this.answers) for (const id of ids) if (!byCase.has(id)) byCase.set(id, key);
    return byCase;
  }
}

/**
 * The max-rate load: `window` cases in the pipeline at a time. Each of `window` workers posts a case,
 * waits for its answer and then for the case to be through the pipeline, then posts the next, for
 * `seconds`. Unlike a flat-out HTTP load this cannot pile up a backlog downstream that outlives the
 * run, so its rate is the pipeline's sustained one.
 */
/** POST /v1/cases over keep-alive connections (at most `sockets`), without autocannon. */
function poster(gateway, sockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const url = new URL('/v1/cases', gateway);
  const post = (key, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          timeout: 30_000,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${KEY}`,
            'idempotency-key': key,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode, body: text }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { timeout: true })));
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

function httpSummary(latency, counts, secs) {
  latency.sort((a, b) => a - b);
  return {
    rps: Math.round(((counts.total - counts.non2xx) / secs) * 10) / 10,
    offeredRps: Math.round((counts.total / secs) * 10) / 10,
    p50: Math.round(pct(latency, 50) ?? 0),
    p99: Math.round(pct(latency, 99) ?? 0),
    max: Math.round(latency.at(-1) ?? 0),
    ...counts,
    seconds: Math.round(secs * 10) / 10,
    loadAverage1m: Math.round(loadavg()[0] * 10) / 10,
  };
}

/**
 * The fixed-rate load, open loop: a request every 1/rate seconds whatever the answers, each on its own
 * connection if need be. (autocannon's `overallRate` lowers its connections to the rate and each waits
 * for its answer, so below ~1 s per answer it cannot keep the rate, and rates under 1/s are impossible;
 * BENCH_FIXED_LOAD=autocannon uses it anyway.)
 */
async function rateLoad(load, gateway, { rate, seconds }) {
  const { post, close } = poster(gateway, 512);
  const started = performance.now();
  const latency = [];
  const counts = { total: 0, non2xx: 0, errors: 0, timeouts: 0 };
  const inflight = [];
  for (let i = 0; ; i++) {
    const at = started + (i * 1000) / rate;
    if (at > started + seconds * 1000) break;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    const r = load.next();
    inflight.push(
      post(r.key, r.body).then(
        (res) => {
          counts.total += 1;
          latency.push(performance.now() - at); // from when it was due: a late send counts against us
          load.answered(r.key, res.status, res.body);
          if (res.status < 200 || res.status > 299) counts.non2xx += 1;
        },
        (e) => {
          counts.errors += 1;
          if (e.timeout) counts.timeouts += 1;
        },
      ),
    );
  }
  const secs = Math.max(seconds, (performance.now() - started) / 1000);
  await Promise.all(inflight);
  close();
  return httpSummary(latency, counts, secs);
}

async function windowLoad(load, gateway, { window, seconds, caseTimeoutMs }) {
  const { post, close } = poster(gateway, window);
  const started = Date.now();
  const end = started + seconds * 1000;
  const latency = [];
  const counts = { total: 0, non2xx: 0, errors: 0, timeouts: 0, late: 0 };
  const worker = async () => {
    while (Date.now() < end) {
      const r = load.next();
      const t0 = performance.now();
      let res;
      try {
        res = await post(r.key, r.body);
      } catch (e) {
        counts.errors += 1;
        if (e.timeout) counts.timeouts += 1;
        continue;
      }
      counts.total += 1;
      latency.push(performance.now() - t0);
      load.answered(r.key, res.status, res.body);
      if (res.status < 200 || res.status > 299) {
        counts.non2xx += 1;
        continue;
      }
      if (!(await load.whenDone(JSON.parse(res.body).id, caseTimeoutMs))) counts.late += 1;
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  close();
  return httpSummary(latency, counts, seconds); // requests start within `seconds`; their answers may come later
}

// ----------------------------------------------------------------------------------------- main ----
const owned = [];
const started = Date.now();
let exitCode = 0;
const dataDir = mkdtempSync(join(tmpdir(), 'sladesk-bench-intake-'));
const result = {
  startedAt: new Date().toISOString(),
  config: { ...CFG },
  targets: TARGET,
  cores: cpus().length,
  cpu: cpus()[0]?.model,
  loadAverageAtStart: loadavg(),
};
let sys;
let db;
let conn;
let nats;
let peerDbUrl;
let cleaning;
const abort = (why) => {
  console.error(`[bench] ${why}; stopping everything`);
  cleanup().finally(() => process.exit(1));
};
process.on('uncaughtException', (e) => abort(`uncaught: ${e.stack ?? e}`));
process.on('unhandledRejection', (e) => abort(`unhandled rejection: ${e?.stack ?? e}`));
process.once('SIGINT', () => abort('interrupted'));
process.once('SIGTERM', () => abort('terminated'));

try {
  log('building (SWC, into tools/bench/intake/.build)…');
  result.revision = build();
  const I = infra();

  const natsServer = await I.startNatsServer({ dataDir: join(dataDir, 'nats') });
  owned.push(natsServer);
  const g = guard(natsServer.child.pid);
  owned.push({ stop: async () => g.kill() });
  let mongoUrl;
  if (process.env.MONGO_URL) {
    // A fresh database on the given server (its other databases are not touched).
    const u = new URL(process.env.MONGO_URL);
    u.pathname = `/sladesk_bench_${RUN}`;
    mongoUrl = u.toString();
    u.pathname = `/sladesk_bench_${RUN}_peer`;
    peerDbUrl = u.toString();
    result.database = `MONGO_URL (${u.host})`;
  } else {
    mkdirSync(join(import.meta.dirname, '.logs', RUN), { recursive: true });
    const ferret = await I.startFerretdb({ dataDir: join(dataDir, 'ferretdb'), log, logFile: join(import.meta.dirname, '.logs', RUN, 'ferretdb.log') });
    owned.push(ferret);
    const fg = guard(ferret.child.pid);
    owned.push({ stop: async () => fg.kill() });
    mongoUrl = `${ferret.url}/sladesk_bench`;
    peerDbUrl = `${ferret.url}/sladesk_bench_peer`;
    result.database = 'FerretDB 1.24 (SQLite) through the project launcher';
  }
  log(`database: ${result.database}; NATS ${natsServer.url}`);
  const mail = await startMailSink();
  owned.push(mail);
  nats = await connectNats(natsServer.url);
  conn = await mongoose.createConnection(mongoUrl).asPromise();
  db = conn.db;

  // ---- 1. The peers, alone on the machine.
  const peerBody = JSON.stringify(caseBody(0));
  async function peer(name, file, env, ready, request) {
    const p = node(name, file, env, { ready });
    owned.push(p);
    await p.ready;
    log(`${name}: warm-up ${CFG.warmupSeconds} s, then ${CFG.connections} connections for ${CFG.seconds} s`);
    if (CFG.warmupSeconds) await cannon({ ...request, duration: CFG.warmupSeconds });
    const s = summary(await cannon(request));
    await p.stop();
    log(`${name}: ${s.rps} req/s, p99 ${s.p99} ms`);
    return s;
  }
  const helloPort = await I.freePort();
  const insertPort = await I.freePort();
  result.peers = {
    helloWorld: await peer(
      'hello-world',
      join(import.meta.dirname, 'hello-world.cjs'),
      { PORT: String(helloPort) },
      /hello ready/,
      {
        url: `http://127.0.0.1:${helloPort}/v1/hello`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: peerBody,
      },
    ),
    insertOne: await peer(
      'insert-one',
      join(import.meta.dirname, 'insert-one.cjs'),
      { PORT: String(insertPort), MONGO_URL: peerDbUrl },
      /insert-one ready/,
      {
        url: `http://127.0.0.1:${insertPort}/items`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'widget', qty: 3, tags: ['bench', 'peer'] }),
      },
    ),
  };

  // ---- 2. The system, its directory, and the template cases the seed is cloned from.
  const httpPort = await I.freePort();
  const logRoot = join(import.meta.dirname, '.logs', RUN);
  result.serviceLogs = logRoot;
  const startSystem = async (label) => {
    const s = await startServices({
      natsUrl: natsServer.url,
      mongoUrl,
      mailUrl: mail.url,
      adminKey: KEY,
      httpPort,
      logDir: join(logRoot, label),
    });
    log(`system healthy in ${s.startSeconds.toFixed(1)} s`);
    return s;
  };
  const waitIdle = async (what) => {
    const s = await settle(nats, STREAM, {
      timeoutMs: CFG.settleSeconds * 1000,
      onWait: (l) => log(`${what}: ${l}`),
    });
    if (s === null) log(`${what}: the system was still busy after ${CFG.settleSeconds} s; going on`);
    return s;
  };
  sys = await startSystem('setup');
  const api = async (method, path, body, headers = {}) => {
    const res = await fetch(`${sys.gateway}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${KEY}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  };
  const must = async (method, path, body, headers) => {
    const r = await api(method, path, body, headers);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  log(`directory: ${CFG.accounts} accounts with a CSM each, 2 Tier 2 members, 1 executive`);
  const allDay = { timeZone: 'UTC', workingHours: '00:00-23:59' };
  for (let i = 0; i < CFG.accounts; i++)
    await must('POST', '/v1/staff', {
      id: csmId(i),
      name: `CSM ${i + 1}`,
      email: `csm${i + 1}@vendor.example`,
      roles: ['csm'],
      ...allDay,
    });
  for (const i of [1, 2])
    await must('POST', '/v1/staff', {
      id: `bench-tier2-${i}`,
      name: `Tier 2 #${i}`,
      email: `tier2-${i}@vendor.example`,
      roles: ['tier2'],
      ...allDay,
    });
  await must('POST', '/v1/staff', {
    id: 'bench-exec-1',
    name: 'Executive',
    email: 'exec@vendor.example',
    roles: ['executive'],
    ...allDay,
  });
  for (let i = 0; i < CFG.accounts; i++)
    await must('POST', '/v1/accounts', {
      id: accountId(i),
      name: `Bench account ${i + 1}`,
      timeZone: 'UTC',
      csmId: csmId(i),
    });
  await waitIdle('directory');

  const templates = [];
  for (let a = 0; a < CFG.accounts; a++) {
    for (let v = 0; v < VARIANTS.length; v++) {
      for (const state of ['open', 'resolved']) {
        const key = `tmpl-${RUN}-${a}-${v}-${state}`;
        const n = a + v * CFG.accounts; // caseBody(n) is account a, variant v
        const c = await must('POST', '/v1/cases', caseBody(n), { 'idempotency-key': key });
        templates.push({
          caseId: c.id,
          number: c.number,
          key,
          state,
          accountId: c.accountId,
          severity: c.severity,
          category: c.category,
          csm: csmId(a),
        });
      }
    }
  }
  await waitIdle('templates');
  for (const t of templates) {
    if (t.state === 'resolved') {
      await must('POST', `/v1/cases/${t.caseId}/resolve`, { by: t.csm, summary: 'Fixed in the bench.' });
    } else {
      // Open, and every escalation acknowledged by its first recipient: otherwise the clones'
      // acknowledgement timeouts would all fire during the run (30 minutes after the templates).
      for (const e of (await must('GET', `/v1/escalations?caseId=${t.caseId}&state=open`)).items) {
        const by = e.assigneeId ?? e.recipients[0];
        if (by) await must('POST', `/v1/escalations/${e.id}/ack`, { by });
      }
    }
  }
  await waitIdle('templates resolved / acknowledged');
  const captured = await captureTemplates(db, templates, { skip: STORE.seedSkip });
  const noCase = captured.templates.filter(
    (t) => !t.docs.some((d) => d.col === STORE.cases && d.id === t.caseId),
  );
  if (noCase.length)
    throw new Error(
      `seeding would not clone the case documents of ${noCase.length} templates (check STORE and seed.mjs against intake's storage)`,
    );
  const incomplete = captured.templates.filter((t) => !t.docs.some((d) => d.col === STORE.escalations));
  if (incomplete.length)
    throw new Error(
      `template cases without an escalation record: ${incomplete.map((t) => t.caseId).join(', ')} (is the pipeline working?)`,
    );
  result.seedShape = {
    templates: templates.map(({ caseId, number, state, accountId, severity, category }) => ({
      caseId,
      number,
      state,
      accountId,
      severity,
      category,
    })),
    documentsPerCase: captured.perCase,
    sharedDocumentsListingTemplates: captured.sharedDocuments,
    leftOut: captured.leftOut,
    skippedCollections: captured.skipped,
    examples: captured.examples,
  };
  log(
    `templates: ${templates.length} cases; documents per case: ${Object.entries(captured.perCase)
      .map(([c, n]) => `${c} ${+n.toFixed(2)}`)
      .join(
        ', ',
      )}; shared documents listing them: ${JSON.stringify(captured.sharedDocuments)}; left out: ${JSON.stringify({ ...captured.leftOut, ...captured.skipped })}`,
  );
  await sys.stop();
  sys = undefined;

  // ---- 3. The measurements, with few and with many existing cases.
  let existing = templates.length;
  result.phases = [];
  const phases = [
    { name: 'small', target: CFG.seedSmall },
    { name: 'large', target: CFG.seedLarge },
  ].filter((p, i) => i === 0 || p.target > 0);

  /**
   * One load — `window` cases in the pipeline at a time (max), or autocannon at a fixed `overallRate` —
   * then the wait until every accepted case is through the pipeline, and the checks.
   */
  async function measure(label, tag, opts) {
    const load = new Load(tag);
    const fromSeq = await lastSeq(nats, STREAM);
    const dlqBefore = await messageCount(nats, DLQ_STREAM);
    const watcher = await watch(nats, STREAM, Object.values(SUBJECT), fromSeq, load.onEvent);
    const loadStart = Date.now();
    let http;
    if (opts.window) {
      log(
        `${label}: ${opts.window} cases in the pipeline at a time, as fast as they get through, ${CFG.seconds} s`,
      );
      http = await windowLoad(load, sys.gateway, {
        window: opts.window,
        seconds: CFG.seconds,
        caseTimeoutMs: CFG.drainSeconds * 1000,
      });
    } else if (CFG.fixedLoad === 'autocannon') {
      const rate = Math.max(1, Math.round(opts.overallRate));
      log(`${label}: ${rate} req/s offered by autocannon (overallRate), ${CFG.seconds} s`);
      http = summary(
        await cannon({ ...load.request(sys.gateway), overallRate: rate, connections: CFG.connections }),
      );
    } else {
      log(
        `${label}: ${opts.overallRate} req/s, open loop (a request every ${Math.round(1000 / opts.overallRate)} ms), ${CFG.seconds} s`,
      );
      http = await rateLoad(load, sys.gateway, { rate: opts.overallRate, seconds: CFG.seconds });
    }
    const loadEnd = Date.now();
    const accepted = load.acceptedCases();
    log(
      `${label}: ${http.total} requests, ${accepted.size} cases accepted, ${http.non2xx} non-2xx, ${http.errors} errors (${http.timeouts} timeouts); waiting for the rest of the pipeline…`,
    );

    // Done = a clock of the case started (sla.clock-started) and its Tier 1 escalation is recorded
    // (escalation.escalated, written in the record's outbox): the two branches after case.opened.
    const drainStart = Date.now();
    let lastLog = drainStart;
    const missing = () => [...accepted.keys()].filter((id) => load.doneAt(id) === undefined).length;
    while (missing() > 0 && Date.now() - drainStart < CFG.drainSeconds * 1000) {
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(
          `${label}: ${accepted.size - missing()}/${accepted.size} cases through (clock started and Tier 1 recorded)`,
        );
      }
      await sleep(250);
    }
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const settleSeconds = await waitIdle(label);
    await watcher.stop();

    // End-to-end rate: cases through the pipeline, over the time from the first request to the last of them.
    const doneAt = [];
    const pipelineLatency = [];
    for (const [id, key] of accepted) {
      const at = load.doneAt(id);
      if (at === undefined) continue;
      doneAt.push(at);
      const sent = load.sent.get(key);
      if (sent) pipelineLatency.push(at - sent.at);
    }
    pipelineLatency.sort((a, b) => a - b);
    const lastDone = doneAt.length ? Math.max(...doneAt) : null;
    const casesPerSecond = lastDone ? doneAt.length / ((lastDone - loadStart) / 1000) : 0;

    const verification = await verify(load, accepted);
    verification.deadLetters = (await messageCount(nats, DLQ_STREAM)) - dlqBefore;
    // Cases missing somewhere while consumers still had a backlog are late, not (yet) lost.
    verification.systemIdle = settleSeconds !== null;
    const run = {
      label,
      offered: opts.window ? `max (${opts.window} in flight)` : `${opts.overallRate} req/s`,
      window: opts.window ?? null,
      overallRate: opts.overallRate ?? null,
      http,
      statuses: load.statuses,
      requests: load.n,
      retries: load.retries,
      keys: load.sent.size,
      accepted: accepted.size,
      through: doneAt.length,
      casesPerSecond: Math.round(casesPerSecond * 100) / 100,
      lastDoneAfterLoadEndSeconds: lastDone ? Math.max(0, (lastDone - loadEnd) / 1000) : null,
      pipelineLatencyMs: {
        p50: pct(pipelineLatency, 50),
        p99: pct(pipelineLatency, 99),
        max: pipelineLatency.at(-1) ?? null,
      },
      drainSeconds,
      settleSeconds,
      verification,
      load,
    };
    log(
      `${label}: ${run.through}/${run.accepted} through, ${run.casesPerSecond} cases/s end to end; lost ${verification.lost.total}${verification.systemIdle ? '' : ' (backlog left)'}, duplicated ${verification.duplicated.total}`,
    );
    return run;
  }

  /** Counts, per accepted case, what each part of the pipeline holds; not by timing. */
  async function verify(load, accepted) {
    const ids = [...accepted.keys()];
    const v = { intake: {}, caseOpened: {}, sla: {}, tier1: {}, lost: {}, duplicated: {} };
    // A key answered with two different cases is a duplicate whatever the database says.
    v.duplicated.keysAnsweredWithTwoCases = [...load.answers.values()].filter((s) => s.size > 1).length;

    // intake: the case document, by _id, carries the request's key.
    let stored = 0;
    let wrongKey = 0;
    const cases = db.collection(STORE.cases);
    await pool(ids, 8, async (id) => {
      const d = await cases.findOne({ _id: id }, { projection: { idempotencyScope: 1 } });
      if (!d) return;
      stored += 1;
      if (!String(d.idempotencyScope).endsWith(`:${accepted.get(id)}`)) wrongKey += 1;
    });
    v.intake = { checked: ids.length, stored, wrongKey };
    v.lost.intake = ids.length - stored;

    // JetStream: one case.opened per case.
    let openedMissing = 0;
    let openedTwice = 0;
    for (const id of ids) {
      const n = load.events.opened.get(id) ?? 0;
      if (n === 0) openedMissing += 1;
      if (n > 1) openedTwice += 1;
    }
    v.caseOpened = {
      events: [...load.events.opened.values()].reduce((a, b) => a + b, 0),
      casesWithout: openedMissing,
      casesWithSeveral: openedTwice,
    };
    v.lost.caseOpened = openedMissing;
    v.duplicated.caseOpened = openedTwice;

    // sla: the clocks over the API (GET /v1/cases/{id}/sla), and each clock started once.
    const sample = CFG.verifySample > 0 ? ids.slice(0, CFG.verifySample) : ids;
    let withClocks = 0;
    let noClocks = 0;
    const slaStatus = {};
    await pool(sample, 8, async (id) => {
      const r = await api('GET', `/v1/cases/${id}/sla`);
      slaStatus[r.status] = (slaStatus[r.status] ?? 0) + 1;
      if (
        r.status === 200 &&
        Array.isArray(r.body.clocks) &&
        r.body.clocks.length > 0 &&
        r.body.clocks.every((c) => c.startedAt)
      )
        withClocks += 1;
      else noClocks += 1;
    });
    const caseIds = new Set(ids);
    let clocksTwice = 0;
    for (const [k, n] of load.events.clocks) if (n > 1 && caseIds.has(k.split('|')[0])) clocksTwice += 1;
    v.sla = {
      checked: sample.length,
      withClocks,
      withoutClocks: noClocks,
      statuses: slaStatus,
      clockStartedEvents: load.events.clocks.size,
      clocksStartedTwice: clocksTwice,
    };
    v.lost.sla = noClocks;
    v.duplicated.slaClockStarted = clocksTwice;

    // escalation: the Tier 1 escalation record of each case (its id from the event, the record by _id).
    const escalations = db.collection(STORE.escalations);
    let records = 0;
    let recordsMissing = 0;
    let noEvent = 0;
    let several = 0;
    await pool(ids, 8, async (id) => {
      const m = load.events.tier1.get(id);
      if (!m) {
        noEvent += 1;
        return;
      }
      if (m.size > 1) several += 1;
      for (const escId of m.keys()) {
        const d = await escalations.findOne({ _id: escId }, { projection: { caseId: 1, level: 1 } });
        if (d && d.caseId === id && d.level === 'tier1') records += 1;
        else recordsMissing += 1;
      }
    });
    v.tier1 = {
      records,
      casesWithoutEvent: noEvent,
      eventsWithoutRecord: recordsMissing,
      casesWithSeveral: several,
      otherEscalationEvents: load.events.otherEscalations,
    };
    v.lost.tier1 = noEvent + recordsMissing;
    v.duplicated.tier1 = several;
    v.lost.total = v.lost.intake + v.lost.caseOpened + v.lost.sla + v.lost.tier1;
    v.duplicated.total =
      v.duplicated.keysAnsweredWithTwoCases +
      v.duplicated.caseOpened +
      v.duplicated.slaClockStarted +
      v.duplicated.tier1;
    return v;
  }

  /**
   * Cases per Idempotency-Key of the phase's loads (a key with two cases is a duplicate). Every case the
   * loads made announced itself with case.opened, answered or not (the watchers saw them all); each is
   * read by _id for its key. With a scan (BENCH_VERIFY_SCAN), the cases collection is also read from the
   * phase's start, which finds cases that never announced themselves as well (slow on FerretDB: it
   * scans every document).
   */
  async function casesPerKey(fromMs, loads, scan) {
    const t = Date.now();
    const byKey = new Map();
    const add = (scope, id) => {
      const key = String(scope).slice(String(scope).indexOf(':') + 1);
      if (!byKey.has(key)) byKey.set(key, new Set());
      byKey.get(key).add(id);
    };
    const announced = [...new Set(loads.flatMap((l) => [...l.events.opened.keys()]))];
    const cases = db.collection(STORE.cases);
    await pool(announced, 8, async (id) => {
      const d = await cases.findOne({ _id: id }, { projection: { idempotencyScope: 1 } });
      if (d) add(d.idempotencyScope, id);
    });
    let scanned = null;
    if (scan) {
      scanned = 0;
      for await (const d of cases.find(
        { _id: { $gte: lowUuid(fromMs) } },
        { projection: { idempotencyScope: 1 } },
      )) {
        scanned += 1;
        add(d.idempotencyScope, d._id);
      }
    }
    const perRun = loads.map((load) => {
      const r = {
        keys: load.sent.size,
        keysWithCase: 0,
        keysWithSeveralCases: 0,
        keysUnansweredButStored: 0,
        keysAnsweredButNotStored: 0,
      };
      for (const key of load.sent.keys()) {
        const n = byKey.get(key)?.size ?? 0;
        if (n > 0) r.keysWithCase += 1;
        if (n > 1) r.keysWithSeveralCases += 1;
        if (n > 0 && !load.answers.has(key)) r.keysUnansweredButStored += 1;
        if (n === 0 && load.answers.has(key)) r.keysAnsweredButNotStored += 1;
      }
      return r;
    });
    return {
      method: scan ? 'case.opened events + scan' : 'case.opened events',
      seconds: (Date.now() - t) / 1000,
      announced: announced.length,
      scanned,
      perRun,
    };
  }

  for (const phase of phases) {
    const toSeed = Math.max(0, phase.target - existing);
    let seeding = null;
    if (toSeed > 0) {
      log(
        `seeding ${toSeed.toLocaleString('en')} cases (${existing.toLocaleString('en')} exist) by cloning the templates with insertMany…`,
      );
      seeding = await seedCases(db, captured, toSeed, {
        openPercent: CFG.openPercent,
        batchCases: CFG.seedBatch,
        numberCounter: STORE.caseNumberCounter,
        numberTokens: STORE.numberTokens,
        positionHints: STORE.positionHints,
        keyPrefix: `seed-${RUN}-${phase.name}`,
        log,
      });
      existing += toSeed;
      log(
        `seeded ${toSeed.toLocaleString('en')} cases: ${seeding.documents.toLocaleString('en')} documents, ${seeding.sharedAdditions.toLocaleString('en')} entries added to shared documents in ${seeding.sharedUpdates} updates, ${seeding.seconds.toFixed(1)} s`,
      );
      require('reflect-metadata'); // the service's classes below carry Nest's decorators
      const loadSetsJs = join(out, STORE.loadSets.module);
      if (existsSync(loadSetsJs)) {
        const { LoadSets } = require(loadSetsJs);
        const listed = await new LoadSets({ collection: db.collection(STORE.loadSets.collection) }).reconcile();
        log(`${phase.name}: Tier 2 load sets reconciled (${listed.toLocaleString('en')} open cases listed)`);
      }
      const idSetsJs = join(out, STORE.daySets.module);
      if (existsSync(idSetsJs) && require(idSetsJs).IdSets.prototype.trimDaySets) {
        const { IdSets } = require(idSetsJs);
        const dropped = await new IdSets({ collection: db.collection(STORE.daySets.collection) }).trimDaySets(STORE.daySets.keep);
        log(`${phase.name}: repeated-category day sets trimmed as the service keeps them (${dropped.toLocaleString('en')} clones dropped)`);
      }
    }
    sys = await startSystem(phase.name);
    if (seeding) {
      // The services must read the clones as their own: the case (with its number) and its clocks, over the API.
      let readable = 0;
      for (const c of seeding.sample) {
        const got = await api('GET', `/v1/cases/${c.caseId}`);
        const sla = await api('GET', `/v1/cases/${c.caseId}/sla`);
        if (got.status === 200 && got.body.number === c.number && sla.status === 200) readable += 1;
        else
          log(
            `${phase.name}: seeded case ${c.caseId} not read back as expected: GET ${got.status} (number ${got.body?.number}, expected ${c.number}), sla ${sla.status}`,
          );
      }
      seeding.sampleReadBack = `${readable}/${seeding.sample.length}`;
      log(
        `${phase.name}: ${seeding.sampleReadBack} sampled seeded cases read back over the API (case and SLA clocks)`,
      );
    }
    if (CFG.warmupSeconds) {
      const warm = new Load(`warm-${RUN}-${phase.name}`);
      log(`${phase.name}: warm-up ${CFG.warmupSeconds} s (${CFG.connections} cases in flight)`);
      const watcher = await watch(
        nats,
        STREAM,
        Object.values(SUBJECT),
        await lastSeq(nats, STREAM),
        warm.onEvent,
      );
      await windowLoad(warm, sys.gateway, {
        window: CFG.connections,
        seconds: CFG.warmupSeconds,
        caseTimeoutMs: CFG.drainSeconds * 1000,
      });
      await watcher.stop();
      existing += warm.acceptedCases().size;
      await waitIdle(`${phase.name} warm-up`);
    }
    const existingAtStart = existing;
    const phaseStart = Date.now();
    const runs = [];
    const max = await measure(`${phase.name}: max`, `max-${RUN}-${phase.name}`, { window: CFG.connections });
    runs.push(max);
    existing += max.accepted;
    if (max.casesPerSecond > 0) {
      const rate = Math.max(0.1, Math.round((max.casesPerSecond / 2) * 10) / 10);
      const fixed = await measure(`${phase.name}: ${rate} req/s`, `fixed-${RUN}-${phase.name}`, {
        overallRate: rate,
      });
      runs.push(fixed);
      existing += fixed.accepted;
    } else
      log(
        `${phase.name}: no case got through at max rate, so there is no rate to halve; fixed-rate run skipped`,
      );
    const scan = CFG.verifyScan === 'always' || (CFG.verifyScan === 'auto' && existingAtStart <= 20_000);
    log(
      `${phase.name}: counting cases per Idempotency-Key (${scan ? `announced cases by _id, and a scan of ${STORE.cases} from the phase's start` : 'announced cases by _id'})…`,
    );
    const perKey = await casesPerKey(
      phaseStart - 1000,
      runs.map((r) => r.load),
      scan,
    );
    log(
      `${phase.name}: ${perKey.announced} announced cases read${perKey.scanned !== null ? `, ${perKey.scanned} scanned` : ''} in ${perKey.seconds.toFixed(1)} s`,
    );
    runs.forEach((r, i) => {
      r.verification.perKey = perKey.perRun[i];
      r.verification.duplicated.keysWithSeveralCases = perKey.perRun[i].keysWithSeveralCases;
      r.verification.duplicated.total += perKey.perRun[i].keysWithSeveralCases;
      r.verification.lost.answeredButNotStored = perKey.perRun[i].keysAnsweredButNotStored;
      delete r.load;
    });
    const problems = sys.problems();
    await sys.stop();
    sys = undefined;
    log(
      `${phase.name}: service warnings/errors logged: ${Object.entries(problems)
        .map(([n, p]) => `${n} ${p.warn}/${p.error}`)
        .join(', ')} (logs in ${join(logRoot, phase.name)})`,
    );
    result.phases.push({
      name: phase.name,
      existingCases: existingAtStart,
      seeding,
      perKeyCount: {
        method: perKey.method,
        seconds: perKey.seconds,
        announced: perKey.announced,
        scanned: perKey.scanned,
      },
      serviceProblems: problems,
      runs,
    });
  }

  // ---- 4. Report.
  const fmt = (v) =>
    v === null || v === undefined ? '–' : typeof v === 'number' ? v.toLocaleString('en') : v;
  const P = result.peers;
  const lines = [];
  lines.push(
    `\n${result.cores} cores (${result.cpu}), load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ${result.database}; code: ${result.revision}`,
  );
  lines.push(
    `${CFG.seconds} s per measured load; max rate = ${CFG.connections} cases in the pipeline at a time (peers: ${CFG.connections} autocannon connections); every ${CFG.retryEvery || '∞'}th request repeats an earlier Idempotency-Key`,
  );
  lines.push(
    'A case is through when a clock started (sla.clock-started) and its Tier 1 escalation is recorded (escalation.escalated); cases/s end to end = cases through ÷ time from the first request to the last one through.\n',
  );
  lines.push(
    '| run | existing cases | load | HTTP 2xx/s | cases/s end to end | HTTP p50 ms | HTTP p99 ms | request → through p50 ms | p99 ms | non-2xx | errors |',
  );
  lines.push('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  lines.push(
    `| NestJS + Fastify hello-world (peer) | – | max | ${fmt(P.helloWorld.rps)} | – | ${P.helloWorld.p50} | ${P.helloWorld.p99} | – | – | ${P.helloWorld.non2xx} | ${P.helloWorld.errors} |`,
  );
  lines.push(
    `| NestJS + mongoose insertOne (peer) | – | max | ${fmt(P.insertOne.rps)} | – | ${P.insertOne.p50} | ${P.insertOne.p99} | – | – | ${P.insertOne.non2xx} | ${P.insertOne.errors} |`,
  );
  for (const ph of result.phases) {
    for (const r of ph.runs) {
      lines.push(
        `| POST /v1/cases | ${fmt(ph.existingCases)} | ${r.offered} | ${fmt(r.http.rps)} | ${fmt(r.casesPerSecond)} | ${r.http.p50} | ${r.http.p99} | ${fmt(r.pipelineLatencyMs.p50)} | ${fmt(r.pipelineLatencyMs.p99)} | ${r.http.non2xx} | ${r.http.errors} |`,
      );
    }
  }
  lines.push('\nVerification (counted afterwards, per accepted case):\n');
  lines.push(
    '| run | requests (retries) | cases accepted | in intake | case.opened | SLA clocks (API) | Tier 1 records | lost | duplicated | dead letters |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const ph of result.phases) {
    for (const r of ph.runs) {
      const v = r.verification;
      const lost =
        v.systemIdle || !v.lost.total ? fmt(v.lost.total) : `${fmt(v.lost.total)} not yet (backlog)`;
      lines.push(
        `| ${r.label} | ${fmt(r.requests)} (${fmt(r.retries)}) | ${fmt(r.accepted)} | ${fmt(v.intake.stored)} | ${fmt(r.accepted - v.caseOpened.casesWithout)} | ${fmt(v.sla.withClocks)}/${fmt(v.sla.checked)} | ${fmt(v.tier1.records)} | ${lost} | ${fmt(v.duplicated.total)} | ${fmt(v.deadLetters)} |`,
      );
    }
  }
  const small = result.phases[0]?.runs[0];
  const large = result.phases[1]?.runs[0];
  const ratio = (a, b) => (b ? a / b : null);
  const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'met' : '**not met**');
  result.ratios = {
    largeOverSmall: large ? ratio(large.casesPerSecond, small.casesPerSecond) : null,
    smallOverInsertOne: ratio(small.casesPerSecond, P.insertOne.rps),
    largeOverInsertOne: large ? ratio(large.casesPerSecond, P.insertOne.rps) : null,
    smallOverHelloWorld: ratio(small.casesPerSecond, P.helloWorld.rps),
  };
  const R = result.ratios;
  const f3 = (x) => (x === null ? 'n/a' : x.toFixed(3));
  lines.push('');
  if (large)
    lines.push(
      `- cases/s with ${fmt(result.phases[1].existingCases)} existing ÷ with ${fmt(result.phases[0].existingCases)}: **${f3(R.largeOverSmall)}** (target ≥ ${TARGET.largeOverSmall}: ${verdict(R.largeOverSmall === null ? null : R.largeOverSmall >= TARGET.largeOverSmall)})`,
    );
  lines.push(
    `- cases/s ÷ insertOne req/s: **${f3(R.smallOverInsertOne)}** with ${fmt(result.phases[0].existingCases)} existing${large ? `, **${f3(R.largeOverInsertOne)}** with ${fmt(result.phases[1].existingCases)}` : ''} (target ≥ ${TARGET.overInsertOne}: ${verdict(R.smallOverInsertOne === null ? null : R.smallOverInsertOne >= TARGET.overInsertOne && (R.largeOverInsertOne ?? 1) >= TARGET.overInsertOne)}); ÷ hello-world: ${f3(R.smallOverHelloWorld)}`,
  );
  for (const ph of result.phases) {
    const fixed = ph.runs[1];
    if (fixed)
      lines.push(
        `- ${ph.name}: at ${fixed.offered} (half the end-to-end max) HTTP p99 = **${fixed.http.p99} ms** (target < ${TARGET.p99Ms} ms: ${verdict(fixed.http.p99 < TARGET.p99Ms)}), request → through p99 = ${fmt(fixed.pipelineLatencyMs.p99)} ms`,
      );
    else lines.push(`- ${ph.name}: no fixed-rate run (no case got through at max rate)`);
  }
  const shape = Object.entries(captured.perCase)
    .map(([c, n]) => `${c} ${+n.toFixed(2)}`)
    .join(', ');
  const seeded = result.phases
    .map((ph) =>
      ph.seeding
        ? `${fmt(ph.seeding.cases)} cases = ${fmt(ph.seeding.documents)} documents + ${fmt(ph.seeding.sharedAdditions)} entries in shared documents in ${ph.seeding.seconds.toFixed(0)} s, sample read back over the API ${ph.seeding.sampleReadBack} (${ph.name})`
        : null,
    )
    .filter(Boolean)
    .join('; ');
  const sharedCols = Object.keys(captured.sharedDocuments).join(', ') || 'none';
  const leftOut =
    Object.entries({ ...captured.leftOut, ...captured.skipped })
      .map(([c, n]) => `${c} (${n})`)
      .join(', ') || 'nothing';
  lines.push(
    `- seed: clones of ${templates.length} template cases made through the API (${CFG.accounts} accounts × ${VARIANTS.length} kinds of inquiry × open/resolved; ${CFG.openPercent} % open with every escalation acknowledged, the rest resolved), copied once the whole pipeline had handled them: per case ${shape}, bulk-inserted with insertMany, and each clone listed next to its template in the shared documents of ${sharedCols}; ${seeded || 'none'}. Left as they were: ${leftOut}`,
  );
  for (const ph of result.phases)
    for (const r of ph.runs) {
      const v = r.verification;
      if (v.lost.total || v.duplicated.total || v.perKey?.keysUnansweredButStored) {
        lines.push(
          `- ${r.label}: lost ${JSON.stringify(v.lost)}, duplicated ${JSON.stringify(v.duplicated)}; keys never answered but stored: ${v.perKey?.keysUnansweredButStored ?? '–'}; HTTP statuses ${JSON.stringify(r.statuses)}`,
        );
      }
    }
  console.log(lines.join('\n'));
  result.totalSeconds = (Date.now() - started) / 1000;
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  log(`results in ${file}; whole run ${(result.totalSeconds / 60).toFixed(1)} min`);
  for (const ph of result.phases)
    for (const r of ph.runs)
      if ((r.verification.systemIdle && r.verification.lost.total) || r.verification.duplicated.total)
        exitCode = 1;
} catch (e) {
  console.error(`[bench] failed: ${e.stack ?? e}`);
  exitCode = 1;
} finally {
  await cleanup();
  process.exit(exitCode);
}

async function cleanup() {
  const step = (what, p, ms = 30_000) =>
    Promise.race([
      Promise.resolve(p).catch((e) => log(`cleanup: ${what}: ${e.message}`)),
      sleep(ms).then(() => log(`cleanup: ${what} did not finish in ${ms / 1000} s`)),
    ]);
  cleaning ??= (async () => {
    if (sys) await step('stopping the services', sys.stop());
    // A FerretDB of our own goes with its data folder; on a server given by MONGO_URL the two databases we made are dropped.
    if (db && process.env.MONGO_URL) {
      await step('dropping the benchmark database', db.dropDatabase(), 120_000);
      if (peerDbUrl) {
        await step(
          'dropping the peer database',
          mongoose
            .createConnection(peerDbUrl)
            .asPromise()
            .then(async (c) => {
              await c.db.dropDatabase();
              await c.close();
            }),
        );
      }
    }
    await step('closing the database connection', conn?.close(true));
    await step('closing NATS', nats?.close());
    for (const p of owned.reverse()) await step('stopping a process', p.stop());
    rmSync(dataDir, { recursive: true, force: true });
  })();
  return cleaning;
}
