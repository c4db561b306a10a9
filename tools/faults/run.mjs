#!/usr/bin/env node
// The fault suite (`npm run test:faults`): bursts of inquiries through REST while parts of the system are
// SIGKILLed, then an audit of every request — ok, lost, duplicated, unknown (or refused) — counted over
// cases, events, timeline entries, notifications and mails. Method and results: docs/faults.md.
//
//   npm run test:faults                              every scenario, bursts of 10,000 (about an hour here)
//   npm run test:faults -- --burst 200               small bursts (what to use while developing)
//   npm run test:faults -- --short                   the version inside npm test (small bursts, ~2 min)
//   npm run test:cluster                             3-node NATS cluster, two instances of every service
//   npm run test:faults -- --scenarios db-restart,poison
//
// Scenarios (in this order):
//   kill-each     each service SIGKILLed in turn during the burst and started again
//   nats-restart  the NATS server SIGKILLed mid-burst and started again on the same data
//   db-restart    the database server (FerretDB launcher) SIGKILLed mid-burst and started again
//   poison        three malformed messages published mid-burst: dead-lettered within 5 s, lag back to 0
//   sla-timers    SLA warnings and breaches falling due while sla is down fire once, late by no more than the outage
//   cluster       (--cluster) one NATS node and one instance of every service SIGKILLed mid-burst
//
// Options: --burst N (10000) · --concurrency N (16) · --down-ms N (1000; 2000 for servers) · --timer-cases N
//          --settle-seconds N (3600; 180 with --short) · --dist (use dist/ instead of a private build) · --keep (the run's folder)
//          --json FILE (default tmp/faults/<run>.json) · --record (the JSON into tools/faults/results/, for docs/faults.md)
// Exit code 0 only when nothing was lost, duplicated or left unknown and every check passed.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { audit, settle, SUBJECT } from './lib/audit.mjs';
import { Burst } from './lib/burst.mjs';
import {
  answeringInstances,
  consumerLag,
  DLQ_STREAM,
  lastSeq,
  readStream,
  retrying,
  STREAM,
} from './lib/nats.mjs';
import { inquiry, seed, SLA_ACCOUNT, SLA_GOAL_SECONDS, SLA_WARNING } from './lib/seed.mjs';
import { compile, log, root, SERVICE_ENV, SERVICES, sleep, startSystem } from './lib/system.mjs';

// ------------------------------------------------------------------------------------------ options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const SHORT = flag('short');
const CLUSTER = flag('cluster');
const BURST = Number(opt('burst', SHORT ? 60 : 10_000));
const CONCURRENCY = Number(opt('concurrency', 16));
const DOWN_MS = Number(opt('down-ms', 1000));
const SERVER_DOWN_MS = Number(opt('server-down-ms', 2000));
const TIMER_CASES = Number(
  opt('timer-cases', SHORT ? 6 : Math.min(200, Math.max(10, Math.round(BURST / 50)))),
);
const SETTLE_SECONDS = Number(opt('settle-seconds', SHORT ? 180 : 3600));
const ALL = CLUSTER
  ? ['cluster', 'sla-timers', 'poison']
  : // the database restart last: today it can leave reporting without a database (docs/faults.md)
    ['kill-each', 'nats-restart', 'poison', 'sla-timers', 'db-restart'];
const SCENARIOS = opt('scenarios', ALL.join(',')).split(',').filter(Boolean);
for (const s of SCENARIOS)
  if (![...ALL, 'cluster'].includes(s)) throw new Error(`unknown scenario ${s} (known: ${ALL.join(', ')})`);
const RUN = new Date()
  .toISOString()
  .replace(/[-:.TZ]/g, '')
  .slice(0, 14);
const runDir = join(root, 'tmp', 'faults', `${RUN}-${process.pid}`);
mkdirSync(runDir, { recursive: true });


const until = async (check, everyMs = 100) => {
  while (!(await check())) await sleep(everyMs);
};
/** Resolves once the burst has answered `fraction` of its requests (or finished). */
const atProgress = (burst, fraction) =>
  until(() => burst.done >= Math.floor(burst.size * fraction) || burst.endedAt);

function progress(name) {
  let last = 0;
  return (done, b) => {
    if (Date.now() - last < 10_000 && done !== b.size) return;
    last = Date.now();
    const s = (Date.now() - b.startedAt) / 1000;
    log(
      `${name}: ${done}/${b.size} answered, ${b.accepted} accepted (${(b.accepted / s).toFixed(1)}/s), ${b.requests.filter((r) => r.attempts > 1).length} needed a retry`,
    );
  };
}

// --------------------------------------------------------------------------------------- scenarios
/** Runs a burst while `faults(burst)` does its damage; then waits for the system to settle and audits. */
async function scenario(ctx, name, { size = BURST, faults, extraBursts = [] }) {
  log(`── ${name}: burst of ${size}`);
  const burst = new Burst({
    gateways: ctx.system.gateways,
    size,
    tag: `${RUN}-${name}`,
    bodies: inquiry(ctx.accounts),
    concurrency: CONCURRENCY,
  });
  const running = burst.run(progress(name));
  const injected = [];
  const extra = await faults(burst, injected);
  await running;
  for (const f of injected) f.duringBurst = f.at < burst.endedAt;
  log(`${name}: burst done in ${((burst.endedAt - burst.startedAt) / 1000).toFixed(0)} s; settling…`);
  const settleSeconds = await settle({
    nats: ctx.nats,
    mongoUrl: ctx.system.mongoUrl,
    timeoutMs: SETTLE_SECONDS * 1000,
  });
  const counts = await audit({
    nats: ctx.nats,
    mongoUrl: ctx.system.mongoUrl,
    mail: ctx.system.mail,
    gateway: ctx.system.gateways[0],
    bursts: [burst, ...extraBursts],
    settled: settleSeconds !== null,
  });
  const result = {
    scenario: name,
    burst: burst.summary(),
    faults: injected,
    settleSeconds,
    counts,
    ...(extra ?? {}),
  };
  const health = await everyInstanceHealthy(ctx);
  const kills = injected.filter((f) => /SIGKILL/.test(f.what ?? '')).length;
  result.checks = [
    refusalCheck(burst),
    ...(result.checks ?? []),
    {
      // Each SIGKILL of a sending instance may resend the one message it had handed over unrecorded.
      check: `mails resent under their own Message-ID at most once per SIGKILL (${counts.mailsResent ?? 0} for ${kills})`,
      passed: (counts.mailsResent ?? 0) <= kills,
    },
    {
      check: 'every instance healthy afterwards',
      passed: health.every((h) => h.passed),
      unhealthy: health.filter((h) => !h.passed),
    },
  ];
  result.passed = passed(result);
  log(`${name}: ${result.passed ? 'PASS' : 'FAIL'} ${countsLine(counts)}`);
  return result;
}

const countsLine = (c) =>
  `ok ${c.ok} · lost ${c.lost} · duplicated ${c.duplicated} · unknown ${c.unknown} · refused ${c.refused} (of ${c.requests})`;

/**
 * A refusal must tell the client to come back: 503 or 504 with a code (the key makes the retry safe).
 * A dead gateway answers nothing (the connection fails) and is retried alike; a 500 says "a bug".
 */
function refusalCheck(burst) {
  const bad = Object.entries(burst.summary().answers).filter(
    ([label]) => /^\d/.test(label) && !/^2/.test(label) && !/^(429|503|504) [A-Z_.]+$/.test(label),
  );
  return {
    check: 'every refusal a 503/504 (or 429) with a code',
    passed: bad.length === 0,
    otherAnswers: Object.fromEntries(bad),
  };
}

function passed(r) {
  const c = r.counts;
  return (
    c.lost === 0 &&
    c.duplicated === 0 &&
    c.unknown === 0 &&
    c.eventsStoredTwice === 0 &&
    c.brokenChains === 0 &&
    r.burst.replays.otherCase === 0 &&
    (r.checks ?? []).every((x) => x.passed)
  );
}

async function killEach(ctx) {
  const order = ['intake', 'sla', 'escalation', 'reporting', 'maintenance', 'gateway'];
  return scenario(ctx, 'kill-each', {
    faults: async (burst, injected) => {
      for (const [k, name] of order.entries()) {
        await atProgress(burst, (k + 1) / (order.length + 1));
        const inst = ctx.system.of(name)[0];
        const at = Date.now();
        const backInMs = await inst.restart(DOWN_MS);
        injected.push({ what: `SIGKILL ${inst.id}`, at, downMs: DOWN_MS, backInMs });
        log(`kill-each: ${inst.id} SIGKILLed, ready again after ${backInMs} ms`);
      }
    },
  });
}

async function serverRestart(ctx, name, server, label) {
  return scenario(ctx, name, {
    size: SHORT ? Math.round((BURST * 2) / 3) : Math.max(1, Math.round(BURST / 2)),
    faults: async (burst, injected) => {
      await atProgress(burst, 0.4);
      const at = Date.now();
      await server.kill();
      await sleep(SERVER_DOWN_MS);
      await server.start();
      injected.push({ what: `SIGKILL ${label}`, at, downMs: SERVER_DOWN_MS, backInMs: Date.now() - at });
      log(`${name}: ${label} SIGKILLed and started again after ${Date.now() - at} ms`);
    },
  });
}

/** Three malformed messages on case.opened mid-burst: each consumer of it dead-letters each within 5 s. */
async function poison(ctx) {
  return scenario(ctx, 'poison', {
    size: Math.max(20, Math.round(BURST / 10)),
    faults: async (burst, injected) => {
      // As the burst starts, so the time measured is the dead-lettering, not the consumers working off a
      // backlog ahead of it (a case's events take a second or more here while the machine is loaded);
      // the burst's events queue up behind the malformed ones.
      const nats = ctx.nats;
      const consumers = (await consumerLag(nats))
        .map((c) => c.name)
        .filter((n) => n.endsWith('__sladesk_evt_case_opened_v1'));
      const dlqFrom = (await lastSeq(nats, DLQ_STREAM)) + 1;
      const bad = [
        ['not JSON', new TextEncoder().encode('{"eventId": "oops')],
        ['no envelope', new TextEncoder().encode(JSON.stringify({ hello: 'world' }))],
        [
          'payload breaks the contract',
          new TextEncoder().encode(
            JSON.stringify({
              eventId: `poison-${RUN}`,
              type: SUBJECT.opened,
              occurredAt: new Date().toISOString(),
              correlationId: 'poison',
              causationId: 'poison',
              payload: { caseId: 42 },
            }),
          ),
        ],
      ];
      const t0 = Date.now();
      const seqs = [];
      for (const [i, [, data]] of bad.entries()) {
        seqs.push(
          (await retrying(() => nats.js.publish(SUBJECT.opened, data, { msgID: `poison-${RUN}-${i}` }))).seq,
        );
      }
      const expected = new Set(consumers.flatMap((c) => seqs.map((s) => `dlq:${c}:${s}`)));
      const seenAt = new Map();
      while (seenAt.size < expected.size && Date.now() - t0 < 30_000) {
        for (const m of await readStream(nats, DLQ_STREAM, dlqFrom))
          if (expected.has(m.msgId) && !seenAt.has(m.msgId)) seenAt.set(m.msgId, m.storedAtMs);
        await sleep(100);
      }
      const deadLetteredMs = seenAt.size ? Math.max(...seenAt.values()) - t0 : null;
      let lagZeroMs = null;
      while (Date.now() - t0 < 60_000) {
        const lag = (await consumerLag(nats)).filter((c) => consumers.includes(c.name));
        if (lag.every((c) => c.pending + c.ackPending === 0)) {
          lagZeroMs = Date.now() - t0;
          break;
        }
        await sleep(100);
      }
      injected.push({
        what: `3 malformed messages on ${SUBJECT.opened} (${consumers.length} consumers)`,
        at: t0,
      });
      log(
        `poison: ${seenAt.size}/${expected.size} dead letters, the last after ${deadLetteredMs} ms; consumers' lag 0 after ${lagZeroMs} ms`,
      );
      return {
        checks: [
          {
            check: `every consumer dead-letters every malformed message within 5 s`,
            passed: seenAt.size === expected.size && deadLetteredMs <= 5000,
            deadLetters: `${seenAt.size}/${expected.size}`,
            lastAfterMs: deadLetteredMs,
          },
          { check: `their lag back to 0 (during the burst)`, passed: lagZeroMs !== null, afterMs: lagZeroMs },
        ],
      };
    },
  });
}

/**
 * Cases whose SLA warning (at 50 % of a 30 s goal) and breach fall due while sla is down (every instance
 * with one, one of two in a cluster — plus a NATS node there): each fires once, no later than the outage
 * plus the catch-up wait allows.
 */
async function slaTimers(ctx) {
  const system = ctx.system;
  const victims = CLUSTER ? [system.of('sla')[0]] : system.of('sla');
  const timerBurst = new Burst({
    gateways: system.gateways,
    size: TIMER_CASES,
    tag: `${RUN}-timers`,
    bodies: (i) => ({
      ...inquiry([SLA_ACCOUNT])(i),
      subject: 'Invoice shows the wrong address',
      description: `Timer case ${i}`,
    }),
    concurrency: 4,
  });
  return scenario(ctx, 'sla-timers', {
    size: SHORT ? Math.round(BURST / 3) : Math.max(1, Math.round(BURST / 5)),
    extraBursts: [timerBurst],
    faults: async (burst, injected) => {
      await timerBurst.run();
      // Due times from the case's receivedAt: a 24×7 goal of SLA_GOAL_SECONDS, the warning at SLA_WARNING
      // of it (asking the sla service for each case's clocks takes too long on a loaded machine).
      const due = new Map(); // caseId → { warning, breach } ms
      for (const r of timerBurst.requests.filter((x) => x.caseId && x.receivedAt)) {
        const at = Date.parse(r.receivedAt);
        due.set(r.caseId, {
          receivedAt: at,
          warning: at + SLA_GOAL_SECONDS * SLA_WARNING * 1000,
          breach: at + SLA_GOAL_SECONDS * 1000,
        });
      }
      const windows = [];
      for (const stage of ['warning', 'breach']) {
        const times = [...due.values()].map((d) => d[stage]);
        const [first, last] = [Math.min(...times), Math.max(...times)];
        await until(() => Date.now() >= first - 1500, 50);
        const at = Date.now();
        const killed = [...victims];
        let node;
        if (CLUSTER) {
          node = await streamLeader(ctx);
          await system.nats.kill(node);
        }
        await Promise.all(killed.map((v) => v.kill()));
        await until(() => Date.now() >= last + 2000, 50);
        if (CLUSTER) await system.nats.start(node);
        await Promise.all(killed.map((v) => v.start()));
        const back = Date.now();
        windows.push({ stage, from: at, to: back });
        injected.push({
          what: `SIGKILL ${killed.map((v) => v.id).join(', ')}${CLUSTER ? ` and NATS node ${system.nats.nodes[node].name}` : ''} over the ${stage === 'breach' ? 'breaches' : 'warnings'} falling due`,
          at,
          downMs: back - at,
          backInMs: back - at,
        });
        log(
          `sla-timers: ${stage === 'breach' ? 'breaches' : 'warnings'} due ${new Date(first).toISOString().slice(11, 19)}–${new Date(last).toISOString().slice(11, 19)} while sla was down for ${back - at} ms`,
        );
      }
      // Count every warning and breach of those cases once the system settled.
      await settle({ nats: ctx.nats, mongoUrl: system.mongoUrl, timeoutMs: SETTLE_SECONDS * 1000 });
      const stream = (await readStream(ctx.nats)).filter((m) => due.has(m.envelope?.payload?.caseId));
      const events = stream.filter((m) => m.subject === SUBJECT.warning || m.subject === SUBJECT.breached);
      // When sla started each case's first-response clock (stored its clock-started): a timer cannot
      // fire before sla knows its case, so lateness after that tells the timers from a consumer backlog.
      const clockStartedAt = new Map();
      for (const m of stream)
        if (m.subject === SUBJECT.clockStarted && m.envelope.payload.clock === 'first_response')
          clockStartedAt.set(m.envelope.payload.caseId, Math.min(clockStartedAt.get(m.envelope.payload.caseId) ?? Infinity, m.storedAtMs));
      let once = 0;
      let missing = 0;
      let twice = 0;
      let maxLateMs = 0;
      let maxAllowedMs = 0;
      let tooLate = 0;
      let dueDuringOutage = 0;
      // Of the late ones: how late after the later of the due time and the clock's start, and how long
      // after the case was accepted sla started its clock (its `case.opened` consumer's backlog).
      let maxLateAfterKnownMs = 0;
      let maxClockStartMs = 0;
      let lateKnownLate = 0;
      // Allowed lateness: alone, sla fires what fell due once it is back, after at most the catch-up
      // wait (SLADESK_SLA_CATCHUP_MAX_MS, 5 s); in a cluster the surviving instance takes the slots
      // over once their lease (SLADESK_SLA_TIMER_LEASE_MS, 5 s) ran out. Plus a poll and a publish.
      const catchupMs = 5000 + 1500;
      const leaseMs = 5000;
      for (const [id, d] of due) {
        for (const [stage, subject] of [
          ['warning', SUBJECT.warning],
          ['breach', SUBJECT.breached],
        ]) {
          const evs = events.filter(
            (e) =>
              e.subject === subject &&
              e.envelope.payload.caseId === id &&
              e.envelope.payload.clock === 'first_response',
          );
          const distinct = new Set(evs.map((e) => e.envelope.eventId)).size;
          if (distinct === 0) missing += 1;
          else if (distinct > 1 || evs.length > 1) twice += 1;
          else once += 1;
          if (!evs.length) continue;
          const fired = Math.min(...evs.map((e) => e.storedAtMs));
          const late = fired - d[stage];
          const w = windows.find((x) => x.stage === stage);
          if (d[stage] >= w.from && d[stage] <= w.to) dueDuringOutage += 1;
          const allowed = CLUSTER ? leaseMs + catchupMs : Math.max(0, w.to - d[stage]) + catchupMs;
          maxLateMs = Math.max(maxLateMs, late);
          maxAllowedMs = Math.max(maxAllowedMs, allowed);
          if (late > allowed) {
            tooLate += 1;
            const started = clockStartedAt.get(id);
            if (started !== undefined) {
              const known = Math.max(d[stage], started);
              maxLateAfterKnownMs = Math.max(maxLateAfterKnownMs, fired - known);
              maxClockStartMs = Math.max(maxClockStartMs, started - (d.receivedAt ?? started));
              if (started > d[stage]) lateKnownLate += 1;
            }
          }
        }
      }
      log(
        `sla-timers: ${dueDuringOutage} of ${due.size * 2} due during an outage; ${once} fired once, ${twice} more than once, ${missing} never; latest ${maxLateMs} ms late (allowed ${maxAllowedMs} ms)`,
      );
      if (tooLate)
        log(
          `sla-timers: of the ${tooLate} too late, ${lateKnownLate} had their clock started only after their due time (sla's clock started up to ${maxClockStartMs} ms after the case was accepted); after the later of due time and clock start, the latest fired ${maxLateAfterKnownMs} ms late`,
        );
      return {
        timers: {
          cases: due.size,
          firedOnce: once,
          firedTwice: twice,
          missing,
          dueDuringOutage,
          maxLateMs,
          maxAllowedMs,
          tooLate,
          tooLateWithClockStartedAfterDue: lateKnownLate,
          maxClockStartAfterAcceptMs: maxClockStartMs,
          maxLateAfterDueAndClockStartMs: maxLateAfterKnownMs,
        },
        checks: [
          {
            check: 'every warning and breach due during the outage fired exactly once',
            passed: twice === 0 && missing === 0 && once === due.size * 2,
            once,
            twice,
            missing,
          },
          {
            check: 'none later than the outage plus the catch-up wait',
            passed: tooLate === 0,
            maxLateMs,
            maxAllowedMs,
          },
        ],
      };
    },
  });
}

/** Index of the cluster node that leads SLADESK_EVENTS. */
async function streamLeader(ctx) {
  const info = await retrying(() => ctx.nats.jsm.streams.info(STREAM));
  const i = ctx.system.nats.nodes.findIndex((n) => n.name === info.cluster?.leader);
  return i >= 0 ? i : 0;
}

/** N-wide: one NATS node (the stream leader) and one instance of every service SIGKILLed mid-burst. */
async function clusterKill(ctx) {
  const system = ctx.system;
  return scenario(ctx, 'cluster', {
    faults: async (burst, injected) => {
      await atProgress(burst, 0.3);
      const node = await streamLeader(ctx);
      const victims = SERVICES.map((s) => system.of(s)[0]);
      const at = Date.now();
      await Promise.all([system.nats.kill(node), ...victims.map((v) => v.kill())]);
      log(
        `cluster: NATS node ${system.nats.nodes[node].name} (stream leader) and ${victims.map((v) => v.id).join(', ')} SIGKILLed`,
      );
      await atProgress(burst, 0.55);
      await system.nats.start(node);
      await Promise.all(victims.map((v) => v.start()));
      injected.push({
        what: `SIGKILL NATS node ${system.nats.nodes[node].name} (stream leader) + ${victims.map((v) => v.id).join(', ')}`,
        at,
        backInMs: Date.now() - at,
      });
      log(`cluster: all back after ${Date.now() - at} ms`);
    },
  });
}

/** Every instance answers its service's ping (and every gateway's /health is 200). */
async function everyInstanceHealthy(ctx) {
  const out = [];
  for (const s of SERVICES.filter((x) => x !== 'gateway')) {
    const expected = ctx.system.of(s).map((i) => `${i.id}:up`);
    const { ids } = await answeringInstances(ctx.nats, s, 12 * expected.length);
    out.push({ service: s, answering: ids, passed: expected.every((e) => ids.includes(e)) });
  }
  for (const g of ctx.system.gateways) {
    const res = await fetch(`${g}/health`).catch(() => undefined);
    out.push({ service: `gateway ${g}`, answering: [String(res?.status)], passed: res?.status === 200 });
  }
  return out;
}

// --------------------------------------------------------------------------------------------- main
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
log(
  `run ${RUN}: ${CLUSTER ? 'cluster (3 NATS nodes, 2 instances of every service)' : 'one NATS server, one instance of every service'}; scenarios ${SCENARIOS.join(', ')}; burst ${BURST}; logs in ${runDir}`,
);
const out = compile(runDir, { useDist: flag('dist') });
const system = await startSystem({
  out,
  runDir,
  instances: CLUSTER ? 2 : 1,
  cluster: CLUSTER,
  env: SERVICE_ENV,
});
const nats = system.bus;
const natsVersion = (
  await (
    await fetch(`http://127.0.0.1:${CLUSTER ? system.nats.nodes[0].httpPort : system.nats.httpPort}/varz`)
  ).json()
).version;
const report = {
  run: RUN,
  date: new Date().toISOString(),
  machine,
  natsVersion,
  cluster: CLUSTER,
  burst: BURST,
  concurrency: CONCURRENCY,
  serviceEnv: SERVICE_ENV,
  scenarios: [],
};
let failed = false;
try {
  const accounts = (await seed(system.gateways[0], { accounts: Math.max(4, Math.ceil(BURST / 400)) }))
    .accounts;
  await settle({ nats, mongoUrl: system.mongoUrl, timeoutMs: 120_000 });
  const ctx = { system, nats, accounts };
  const runs = {
    'kill-each': () => killEach(ctx),
    'nats-restart': () => serverRestart(ctx, 'nats-restart', system.nats, 'nats-server'),
    'db-restart': () => serverRestart(ctx, 'db-restart', system.db, 'FerretDB'),
    poison: () => poison(ctx),
    'sla-timers': () => slaTimers(ctx),
    cluster: () => clusterKill(ctx),
  };
  for (const name of SCENARIOS) {
    try {
      report.scenarios.push(await runs[name]());
    } catch (e) {
      log(`${name}: ERROR ${e.stack}`);
      report.scenarios.push({ scenario: name, error: e.message, passed: false });
    }
  }
  report.health = await everyInstanceHealthy(ctx);
  report.unexpectedExits = system.instances.flatMap((i) =>
    i.unexpectedExits.map((x) => ({ instance: i.id, ...x })),
  );
  failed =
    report.scenarios.some((s) => !s.passed) ||
    report.health.some((h) => !h.passed) ||
    report.unexpectedExits.length > 0;
} finally {
  await system.stop();
  report.loadAverage = loadavg().map((x) => Math.round(x * 10) / 10);
}

// ------------------------------------------------------------------------------------------- output
const jsonFile = opt(
  'json',
  join(
    root,
    ...(flag('record') ? ['tools', 'faults', 'results'] : ['tmp', 'faults']),
    `${RUN}${CLUSTER ? '-cluster' : ''}.json`,
  ),
);
mkdirSync(dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `\n## Fault suite ${RUN} — ${CLUSTER ? '3-node NATS cluster, 2 instances per service' : '1 NATS server, 1 instance per service'}, nats-server ${natsVersion}\n`,
);
console.log(
  '| scenario | faults | requests | ok | lost | duplicated | unknown | refused | answers besides 201 | settled in | result |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|');
for (const s of report.scenarios) {
  if (s.error) {
    console.log(`| ${s.scenario} | — | | | | | | | error: ${s.error.replace(/\|/g, '/')} | | FAIL |`);
    continue;
  }
  const c = s.counts;
  const other = Object.entries(s.burst.answers)
    .filter(([l]) => l !== '201')
    .map(([l, n]) => `${l} ×${n}`)
    .join(', ');
  console.log(
    `| ${s.scenario} | ${s.faults.map((f) => f.what).join('; ')} | ${c.requests} | ${c.ok} | ${c.lost} | ${c.duplicated} | ${c.unknown} | ${c.refused} | ${other || '—'} | ${s.settleSeconds ?? '>' + SETTLE_SECONDS} s | ${s.passed ? 'pass' : 'FAIL'} |`,
  );
}
console.log('\nPer kind of record (requests with that record missing / duplicated):');
for (const s of report.scenarios.filter((x) => x.counts)) {
  const k = Object.keys(s.counts.lostOf).map(
    (kind) => `${kind} ${s.counts.lostOf[kind]}/${s.counts.duplicatedOf[kind]}`,
  );
  console.log(
    `- ${s.scenario}: ${k.join(', ')}; events stored twice ${s.counts.eventsStoredTwice}; broken chains ${s.counts.brokenChains}; reporting counted ${s.counts.reportedOpened} of ${s.counts.casesStored} cases${(s.checks ?? []).map((x) => `; ${x.check}: ${x.passed ? 'yes' : 'NO'}`).join('')}`,
  );
}
for (const s of report.scenarios.filter((x) => x.counts && Object.keys(x.counts.examples).length)) {
  console.log(`\n${s.scenario}: what went wrong (first examples): ${JSON.stringify(s.counts.lostDetail)}`);
  for (const [kind, list] of Object.entries(s.counts.examples))
    for (const e of list) console.log(`  ${kind}: ${JSON.stringify(e)}`);
}
console.log(
  `\nInstances healthy afterwards: ${report.health?.every((h) => h.passed) ? 'all' : JSON.stringify(report.health?.filter((h) => !h.passed))}; unexpected exits: ${report.unexpectedExits?.length ?? '?'}`,
);
console.log(`Result JSON: ${jsonFile}`);
if (!flag('keep') && !failed) rmSync(runDir, { recursive: true, force: true });
else console.log(`Logs: ${join(runDir, 'logs')}`);
process.exit(failed ? 1 : 0);
