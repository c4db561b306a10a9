#!/usr/bin/env node
// Soak (`npm run soak`, on demand): the whole system for 30 minutes at a steady rate of inquiries through
// REST, each service's memory sampled (RSS from /proc, V8 heap from its metrics over NATS), then the
// growth reported — and every request audited as the fault suite does (ok / lost / duplicated / unknown).
//
//   npm run soak                                   30 min at 5 inquiries/s
//   npm run soak -- --minutes 5 --rate 3           shorter
//   npm run soak -- --record                       the JSON into tools/faults/results/ (for docs/faults.md)
// Options: --minutes N (30) · --rate N per second (5) · --sample-seconds N (10) · --dist · --keep
// Growth: the median of the last fifth of the samples minus the median of the first fifth (after a
// warm-up of --warmup-minutes, default 2), and a least-squares slope in MB per hour over the same span.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { audit, settle } from './lib/audit.mjs';
import { Burst } from './lib/burst.mjs';
import { inquiry, seed } from './lib/seed.mjs';
import { compile, log, root, SERVICE_ENV, sleep, startSystem } from './lib/system.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const MINUTES = Number(opt('minutes', 30));
const RATE = Number(opt('rate', 5));
const SAMPLE_SECONDS = Number(opt('sample-seconds', 10));
const WARMUP_MINUTES = Number(opt('warmup-minutes', Math.min(2, MINUTES / 5)));
const RUN = new Date()
  .toISOString()
  .replace(/[-:.TZ]/g, '')
  .slice(0, 14);
const runDir = join(root, 'tmp', 'faults', `soak-${RUN}-${process.pid}`);
mkdirSync(runDir, { recursive: true });

const rssMb = (pid) => {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return null;
  }
};

/** The service's V8 heap in use (MB), from its Prometheus registry over NATS. */
async function heapMb(nats, service) {
  try {
    const m = await nats.nc.request(`sladesk.rpc.${service}.metrics.v1`, new TextEncoder().encode('{}'), {
      timeout: 3000,
    });
    const reply = m.json();
    const metric = reply.data?.find((x) => x.name === 'nodejs_heap_size_used_bytes');
    const bytes = metric?.values?.[0]?.value;
    return typeof bytes === 'number' ? Math.round((bytes / 2 ** 20) * 10) / 10 : null;
  } catch {
    return null;
  }
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
/** Least-squares slope of y over t (hours). */
const slopePerHour = (points) => {
  const p = points.filter((x) => x.y !== null);
  if (p.length < 3) return null;
  const mt = p.reduce((a, x) => a + x.t, 0) / p.length;
  const my = p.reduce((a, x) => a + x.y, 0) / p.length;
  const num = p.reduce((a, x) => a + (x.t - mt) * (x.y - my), 0);
  const den = p.reduce((a, x) => a + (x.t - mt) ** 2, 0);
  return den ? Math.round((num / den) * 10) / 10 : null;
};

log(
  `soak ${RUN}: ${MINUTES} min at ${RATE} inquiries/s, memory sampled every ${SAMPLE_SECONDS} s; logs in ${runDir}`,
);
const out = compile(runDir, { useDist: flag('dist') });
const system = await startSystem({
  out,
  runDir,
  env: SERVICE_ENV,
});
const nats = system.bus;
const report = {
  run: RUN,
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  minutes: MINUTES,
  rate: RATE,
};
let failed = true;
try {
  const { accounts } = await seed(system.gateways[0], {
    accounts: Math.max(4, Math.ceil((MINUTES * 60 * RATE) / 400)),
  });
  await settle({ nats, mongoUrl: system.mongoUrl, timeoutMs: 120_000 });

  const size = Math.round(MINUTES * 60 * RATE);
  const burst = new Burst({
    gateways: system.gateways,
    size,
    tag: `${RUN}-soak`,
    bodies: inquiry(accounts),
    concurrency: Math.max(8, RATE * 4),
    ratePerSecond: RATE,
  });
  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    const t0 = Date.now();
    while (sampling) {
      const at = (Date.now() - t0) / 1000;
      const row = {
        at: Math.round(at),
        answered: burst.done,
        loadAverage: Math.round(loadavg()[0] * 10) / 10,
      };
      for (const inst of system.instances) {
        row[inst.id] = {
          rssMb: rssMb(inst.child?.pid),
          heapMb: inst.name === 'gateway' ? null : await heapMb(nats, inst.name),
        };
      }
      samples.push(row);
      if (samples.length % Math.max(1, Math.round(60 / SAMPLE_SECONDS)) === 0) {
        log(
          `soak: ${burst.done}/${size} answered; RSS ${system.instances.map((i) => `${i.name} ${row[i.id].rssMb ?? '?'}`).join(', ')} MB`,
        );
      }
      await sleep(SAMPLE_SECONDS * 1000);
    }
  })();
  await burst.run();
  sampling = false;
  await sampler;
  const settleSeconds = await settle({ nats, mongoUrl: system.mongoUrl, timeoutMs: 3_600_000 });
  const counts = await audit({
    nats,
    mongoUrl: system.mongoUrl,
    mail: system.mail,
    gateway: system.gateways[0],
    bursts: [burst],
    settled: settleSeconds !== null,
  });

  // Growth per instance, after the warm-up.
  const steady = samples.filter((s) => s.at >= WARMUP_MINUTES * 60);
  const fifth = Math.max(1, Math.floor(steady.length / 5));
  const growth = system.instances.map((inst) => {
    const series = (k) => steady.map((s) => s[inst.id][k]);
    const of = (k) => {
      const xs = series(k);
      const first = median(xs.slice(0, fifth));
      const last = median(xs.slice(-fifth));
      return {
        first,
        last,
        growthMb: first !== null && last !== null ? Math.round((last - first) * 10) / 10 : null,
        slopeMbPerHour: slopePerHour(steady.map((s) => ({ t: s.at / 3600, y: s[inst.id][k] }))),
        peak: Math.max(...xs.filter((x) => x !== null)),
      };
    };
    return { instance: inst.id, rss: of('rssMb'), heap: inst.name === 'gateway' ? null : of('heapMb') };
  });
  Object.assign(report, { burst: burst.summary(), settleSeconds, counts, growth, samples });
  failed = counts.lost + counts.duplicated + counts.unknown > 0;
} finally {
  await system.stop();
}

const jsonFile = opt(
  'json',
  join(root, ...(flag('record') ? ['tools', 'faults', 'results'] : ['tmp', 'faults']), `soak-${RUN}.json`),
);
mkdirSync(dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `\n## Soak ${RUN}: ${MINUTES} min at ${RATE} inquiries/s (${report.burst.accepted} accepted, ${report.burst.acceptedPerSecond}/s)\n`,
);
console.log(
  `Requests: ok ${report.counts.ok} · lost ${report.counts.lost} · duplicated ${report.counts.duplicated} · unknown ${report.counts.unknown} · refused ${report.counts.refused}; settled ${report.settleSeconds ?? '>900'} s after the last request\n`,
);
console.log(
  `| instance | RSS first → last (MB) | RSS growth | RSS slope (MB/h) | RSS peak | heap first → last (MB) | heap growth | heap slope (MB/h) |`,
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const g of report.growth) {
  const h = g.heap;
  console.log(
    `| ${g.instance} | ${g.rss.first} → ${g.rss.last} | ${g.rss.growthMb} | ${g.rss.slopeMbPerHour} | ${g.rss.peak} | ${h ? `${h.first} → ${h.last}` : '—'} | ${h?.growthMb ?? '—'} | ${h?.slopeMbPerHour ?? '—'} |`,
  );
}
console.log(
  `\n(after a ${WARMUP_MINUTES}-minute warm-up; first/last = medians of the first and last fifth of the samples)\nResult JSON: ${jsonFile}`,
);
if (!flag('keep') && !failed) rmSync(runDir, { recursive: true, force: true });
else console.log(`Logs: ${join(runDir, 'logs')}`);
process.exit(failed ? 1 : 0);
