#!/usr/bin/env node
// Benchmark (on demand, never in npm test): one maintenance window's notice fanned out to N subscribed
// accounts through the product —
//   POST /v1/maintenance-windows → gateway → NATS → maintenance (window + outbox) → maintenance.scheduled
//   on JetStream → notice → fan-out over the accounts → @sladesk/outbound (one pack document per page of
//   250 accounts, its lease, one outcome record per round, outcome events through the outbox) → SMTP
// into a local SMTP sink, against nodemailer sending the same messages straight to the same sink in the
// same run (same pool size). Reports both rates, their ratio, and how many messages were lost or
// duplicated (distinct X-Sladesk-Delivery-Id headers against the accounts told).
//
//   node tools/bench/maintenance/run.mjs                 (FerretDB via the project's launcher; MONGO_URL wins)
//   BENCH_ACCOUNTS=2000 node tools/bench/maintenance/run.mjs
//
// Environment (defaults in brackets):
//   BENCH_ACCOUNTS [10000]        subscribed accounts, one notification contact each
//   BENCH_SMTP_CONNECTIONS [8]    pooled SMTP connections, the product's and the baseline's alike
//   BENCH_CONCURRENCY [32]        the product's deliveries in flight (SLADESK_OUTBOUND_CONCURRENCY)
//   BENCH_TIMEOUT_SECONDS [600]   give up waiting for the product's messages after this long
//   BENCH_PROFILE                 a folder: the maintenance process writes a CPU profile there
//   BENCH_LOG_DIR                 a folder: every service's output goes to <name>.log there
//   MONGO_URL                     measure this server (a fresh database on it, dropped afterwards)
// Seeding writes the accounts straight into maintenance's projection (`maintenance_accounts`, the shape
// intake's account events give it): how accounts arrive is not what is measured.
// Results: markdown on stdout, progress on stderr, JSON in tools/bench/maintenance/results/<timestamp>.json.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..', '..', '..');
const out = join(import.meta.dirname, '.build');
const log = (line) => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${line}`);
const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
};
const CFG = {
  accounts: num('BENCH_ACCOUNTS', 10_000),
  connections: num('BENCH_SMTP_CONNECTIONS', 8),
  concurrency: num('BENCH_CONCURRENCY', 32),
  timeoutMs: num('BENCH_TIMEOUT_SECONDS', 600) * 1000,
};
const KEY = 'bench-admin-key-0123456789';
const ZONES = ['America/New_York', 'America/Los_Angeles', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney', 'UTC'];

/** Compiled into its own folder (like tools/scripts/build.mjs), so a concurrent build of dist/ cannot pull files away. */
function build() {
  const swc = require.resolve('@swc/cli/bin/swc.js', { paths: [root] });
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [swc, 'apps', 'libs', '-d', out, '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--ignore', '**/test/**', '-q'], { cwd: root, stdio: 'inherit' });
}

/** A sink that keeps only what the count needs: the delivery id and notice id headers of every message. */
async function startSink() {
  const { SMTPServer } = require('smtp-server');
  const byNotice = new Map();
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (c) => {
        if (head.length < 16_384 && !head.includes('\r\n\r\n')) head += c.toString('latin1');
      });
      stream.on('end', () => {
        received += 1;
        const notice = /^X-Sladesk-Notice-Id:\s*(\S+)/im.exec(head)?.[1] ?? /^X-Bench-Run:\s*(\S+)/im.exec(head)?.[1] ?? 'other';
        const id = /^X-Sladesk-Delivery-Id:\s*(\S+)/im.exec(head)?.[1] ?? /^X-Bench-Id:\s*(\S+)/im.exec(head)?.[1] ?? `anon-${received}`;
        let n = byNotice.get(notice);
        if (!n) byNotice.set(notice, (n = { received: 0, ids: new Set(), first: Date.now(), last: 0 }));
        n.received += 1;
        n.ids.add(id);
        n.last = Date.now();
        callback();
      });
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    of: (notice) => byNotice.get(notice) ?? { received: 0, ids: new Set(), first: 0, last: 0 },
    get received() {
      return received;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function service(name, env, ready) {
  const profile = process.env.BENCH_PROFILE && name === 'maintenance' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, join(out, 'apps', name, 'src', 'main.js')], { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const logFile = process.env.BENCH_LOG_DIR ? join(process.env.BENCH_LOG_DIR, `${name}.log`) : undefined;
  const ok = new Promise((resolve, reject) => {
    const onData = (b) => {
      if (logFile) appendFileSync(logFile, b);
      tail = (tail + b.toString()).slice(-4000);
      if (tail.includes(ready)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${tail}`)));
  });
  ok.catch(() => undefined);
  return {
    ready: ok,
    tail: () => tail,
    stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))),
  };
}

/** The message one account's contact gets, for the baseline: same size and shape as the product's. */
function baselineMail(i, runId) {
  const tz = ZONES[i % ZONES.length];
  const when = new Intl.DateTimeFormat('en-US', { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' }).format(new Date('2031-03-11T06:00:00Z'));
  return {
    from: 'notices@vendor.bench',
    to: { name: `Contact ${i}`, address: `contact-${i}@account-${i}.bench` },
    subject: `Scheduled maintenance: Database upgrade — ${when}`,
    text: `Scheduled maintenance\n\nWhen: ${when} (${tz})\nDatabase upgrade\nComponents: database\nExpected impact: degraded\n\n--\nYou receive this as a notification contact of ACCOUNT-${i}. Stop non-security notices: http://127.0.0.1:3000/v1/notice-opt-out?token=${'x'.repeat(90)}`,
    headers: { 'X-Bench-Run': runId, 'X-Bench-Id': `b-${i}`, 'List-Unsubscribe': '<http://127.0.0.1:3000/v1/notice-opt-out>' },
    messageId: `<b-${runId}-${i}@vendor.bench>`,
  };
}

/** nodemailer straight to the sink, from a process of its own (as the product sends from the maintenance process). */
async function baseline(sink, runId, tmp) {
  const file = join(tmp, `${runId}.json`);
  writeFileSync(file, JSON.stringify(Array.from({ length: CFG.accounts }, (_x, i) => baselineMail(i, runId))));
  // Asynchronously: the sink lives in this process.
  const r = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'baseline-sender.cjs'), sink.url, file, String(CFG.connections)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let outText = '';
    child.stdout.on('data', (b) => (outText += b));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(outText)) : reject(new Error(`baseline sender exited ${code}`))));
  });
  const got = sink.of(runId);
  return { seconds: r.seconds, rate: got.ids.size / r.seconds, received: got.received, distinct: got.ids.size, failed: r.failed, firstError: r.firstError };
}

async function main() {
  log(`building into ${out}`);
  build();
  const { startNatsServer, startFerretdb, freePort } = require(join(out, 'libs', 'testing', 'src', 'infra.js'));
  const mongoose = require('mongoose');
  const tmp = mkdtempSync(join(tmpdir(), 'sladesk-bench-maintenance-'));
  const stops = [];
  try {
    const nats = await startNatsServer({ dataDir: join(tmp, 'nats') });
    stops.push(() => nats.stop());
    let base = process.env.MONGO_URL;
    if (!base) {
      const ferret = await startFerretdb({ dataDir: join(tmp, 'ferretdb'), log });
      stops.push(() => ferret.stop());
      base = `${ferret.url}/x`;
    }
    const mongoUrl = base.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, `$1/sladesk_bench_test_maintenance_${Date.now()}`);
    const sink = await startSink();
    stops.push(() => sink.stop());
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    stops.push(async () => {
      await db.dropDatabase().catch(() => undefined);
      await db.close();
    });

    log(`seeding ${CFG.accounts} subscribed accounts`);
    const docs = Array.from({ length: CFG.accounts }, (_x, i) => ({
      _id: `acct-${String(i).padStart(6, '0')}`,
      name: `ACCOUNT-${i}`,
      timeZone: ZONES[i % ZONES.length],
      contacts: [{ name: `Contact ${i}`, email: `contact-${i}@account-${i}.bench` }],
      version: 1,
      subscriptions: ['database'],
    }));
    for (let i = 0; i < docs.length; i += 1000) await db.collection('maintenance_accounts').insertMany(docs.slice(i, i + 1000));
    log('seeded');

    const port = await freePort();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    const maintenance = service(
      'maintenance',
      {
        ...env,
        SLADESK_SMTP_URL: sink.url,
        SLADESK_MAIL_FROM: 'notices@vendor.bench',
        SLADESK_OUTBOUND_SMTP_CONNECTIONS: String(CFG.connections),
        SLADESK_OUTBOUND_CONCURRENCY: String(CFG.concurrency),
        SLADESK_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      'maintenance ready',
    );
    stops.unshift(() => maintenance.stop());
    const gateway = service('gateway', { ...env, PORT: String(port), SLADESK_ADMIN_API_KEY: KEY, SLADESK_RATE_LIMIT_PER_KEY: '0', SLADESK_RATE_LIMIT_PER_IP: '0' }, 'gateway ready');
    stops.unshift(() => gateway.stop());
    await Promise.all([maintenance.ready, gateway.ready]);

    log('baseline: nodemailer straight to the sink');
    const before = await baseline(sink, 'baseline-1', tmp);
    log(`baseline: ${before.rate.toFixed(0)} msg/s`);

    log('product: POST /v1/maintenance-windows, fan-out to every subscribed account');
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/v1/maintenance-windows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Database upgrade',
        components: ['database'],
        impact: 'degraded',
        audience: 'subscribers',
        plannedStart: '2031-03-11T06:00:00Z',
        plannedEnd: '2031-03-11T08:00:00Z',
        reminderOffsets: [],
      }),
    });
    if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
    const w = await res.json();
    const noticeId = `ntc:${w.id}:scheduled:v1`;
    const deadline = Date.now() + CFG.timeoutMs;
    let lastLog = 0;
    while (sink.of(noticeId).ids.size < CFG.accounts && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(`product: ${sink.of(noticeId).ids.size}/${CFG.accounts}`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    if (sink.of(noticeId).ids.size < CFG.accounts) log(`timed out; maintenance said:\n${maintenance.tail()}`);
    // Settle: every delivery has its outcome (read through the notices log, which derives the states of
    // packed deliveries), then a little longer for anything sent twice to show up.
    const tally = async () => {
      const t = { recorded: 0, sent: 0, pending: 0 };
      for (let cursor; ; ) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/notices/${encodeURIComponent(noticeId)}/deliveries?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${KEY}` } });
        const page = await res.json();
        if (res.status !== 200) throw new Error(`the notices log answered ${res.status}: ${JSON.stringify(page)}`);
        for (const d of page.items) {
          t.recorded += 1;
          if (d.state === 'sent') t.sent += 1;
          if (d.state === 'pending') t.pending += 1;
        }
        if (!page.nextCursor) return t;
        cursor = encodeURIComponent(page.nextCursor);
      }
    };
    let counts = await tally();
    while ((counts.pending > 0 || counts.recorded < CFG.accounts) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      counts = await tally();
    }
    await new Promise((r) => setTimeout(r, 2000));
    const got = sink.of(noticeId);
    const { recorded, sent: sentRecorded } = await tally();
    const notice = await db.collection('maintenance_notices').findOne({ _id: noticeId });
    const outcomes = await fetch(`http://127.0.0.1:${port}/v1/notices/${encodeURIComponent(noticeId)}`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.json());
    const fanoutSeconds = notice?.completedAt ? (notice.completedAt - notice.createdAt) / 1000 : null;
    const firstAfter = (got.first - (Date.now() - (performance.now() - t0))) / 1000;
    const product = { seconds, fanoutSeconds, firstMessageAfter: firstAfter, rate: got.ids.size / seconds, received: got.received, distinct: got.ids.size, recorded, sentRecorded, noticeAccounts: notice?.accounts, noticeDeliveries: outcomes.deliveries };

    log('baseline again (the machine is shared: the better of the two runs counts)');
    const after = await baseline(sink, 'baseline-2', tmp);
    const best = before.rate >= after.rate ? before : after;
    const result = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
      database: process.env.MONGO_URL ? 'MONGO_URL' : 'FerretDB 1.24 (SQLite)',
      config: CFG,
      baseline: { runs: [before, after], rate: best.rate },
      product,
      ratio: product.rate / best.rate,
      lost: CFG.accounts - product.distinct,
      duplicated: product.received - product.distinct,
    };
    mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
    writeFileSync(join(import.meta.dirname, 'results', `${result.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
    console.log(`## Maintenance notice fan-out: ${CFG.accounts} subscribed accounts\n`);
    console.log(`| | messages/s | seconds | received | distinct |`);
    console.log(`|---|---:|---:|---:|---:|`);
    console.log(`| nodemailer → sink (best of 2) | ${best.rate.toFixed(0)} | ${best.seconds.toFixed(2)} | ${best.received} | ${best.distinct} |`);
    console.log(`| product (POST → … → SMTP) | ${product.rate.toFixed(0)} | ${product.seconds.toFixed(2)} | ${product.received} | ${product.distinct} |`);
    console.log(`\nfan-out (notice created → every delivery recorded) ${product.fanoutSeconds?.toFixed(2)} s; first message ${product.firstMessageAfter.toFixed(2)} s after the POST`);
    console.log(`\nratio **${result.ratio.toFixed(2)}×** (goal ≥ 0.5×) · lost **${result.lost}** · duplicated **${result.duplicated}** · deliveries recorded ${recorded}, sent ${sentRecorded}`);
    console.log(`\n${result.machine.cpus} CPUs (${result.machine.model}), load ${result.machine.loadavg.map((l) => l.toFixed(2)).join(' ')}; ${result.database}; SMTP pool ${CFG.connections}, concurrency ${CFG.concurrency}.`);
    if (result.lost || result.duplicated) process.exitCode = 1;
  } finally {
    for (const stop of stops) await stop().catch((e) => log(`stop: ${e.message}`));
    rmSync(tmp, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
