#!/usr/bin/env node
// Sums the services' `SLADESK_DB_TRACE=1` lines ("<service> db commands in the last 10 s …") of a
// benchmark run, per phase: for each service and command (kind, collection, and SCAN{fields} for a
// filter without an `_id` equality), how many and their total time (which includes the wait for
// FerretDB's one writer). Optionally per case: pass the number of cases each phase put through.
//
//   SLADESK_DB_TRACE=1 node tools/bench/intake/run.mjs        (logs in tools/bench/intake/.logs/<run>/)
//   node tools/bench/intake/db-trace.mjs tools/bench/intake/.logs/<run> [--top 25] [--cases small=120,large=80]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--'));
if (!dir) {
  console.error('usage: db-trace.mjs <logs dir of a run> [--top N] [--cases phase=n,…]');
  process.exit(2);
}
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const top = Number(opt('top') ?? 25);
const casesOf = Object.fromEntries(
  (opt('cases') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('='))
    .map(([k, v]) => [k, Number(v)]),
);
const LINE = /^(\S+) db commands in the last 10 s \(count\/total time\): (\{.*\})\s*$/;
const WRITES = /^(insert|update|delete|findAndModify|findandmodify) /;

function logsUnder(path) {
  return statSync(path).isDirectory() ? readdirSync(path).flatMap((f) => logsUnder(join(path, f))) : path.endsWith('.log') ? [path] : [];
}

// Phases are the folders right under the run's folder (small, large, peers …); logs directly in it are "run".
const byPhase = new Map();
for (const file of logsUnder(dir)) {
  const rel = file.slice(dir.length).replace(/^\/+/, '').split('/');
  const phase = rel.length > 1 ? rel[0] : 'run';
  const sums = byPhase.get(phase) ?? new Map();
  byPhase.set(phase, sums);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = LINE.exec(line.replace(/^.*?(\S+ db commands)/, '$1'));
    if (!m) continue;
    for (const [cmd, v] of Object.entries(JSON.parse(m[2]))) {
      const [n, ms] = String(v).replace('ms', '').split('/').map(Number);
      const key = `${m[1]}\t${cmd}`;
      const s = sums.get(key) ?? { n: 0, ms: 0 };
      s.n += n;
      s.ms += ms;
      sums.set(key, s);
    }
  }
}

for (const [phase, sums] of byPhase) {
  const cases = casesOf[phase];
  const per = (x) => (cases ? ` (${(x / cases).toFixed(2)}/case)` : '');
  const rows = [...sums].sort((a, b) => b[1].ms - a[1].ms);
  const services = new Map();
  for (const [key, s] of rows) {
    const [svc, cmd] = key.split('\t');
    const t = services.get(svc) ?? { n: 0, writes: 0, ms: 0, scans: 0 };
    t.n += s.n;
    t.ms += s.ms;
    if (WRITES.test(cmd)) t.writes += s.n;
    if (cmd.includes(' SCAN{')) t.scans += s.n;
    services.set(svc, t);
  }
  console.log(`\n## ${phase}${cases ? ` (${cases} cases)` : ''}\n`);
  console.log('| service | commands | writes | SCANs | total time |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [svc, t] of [...services].sort((a, b) => b[1].ms - a[1].ms))
    console.log(`| ${svc} | ${t.n}${per(t.n)} | ${t.writes}${per(t.writes)} | ${t.scans} | ${Math.round(t.ms / 1000)} s |`);
  console.log(`\n| service | command | count | total time | mean |`);
  console.log('|---|---|---:|---:|---:|');
  for (const [key, s] of rows.slice(0, top)) {
    const [svc, cmd] = key.split('\t');
    console.log(`| ${svc} | \`${cmd}\` | ${s.n}${per(s.n)} | ${(s.ms / 1000).toFixed(1)} s | ${(s.ms / s.n).toFixed(1)} ms |`);
  }
}
