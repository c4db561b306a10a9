#!/usr/bin/env node
// Sums the services' `SLADESK_DB_TRACE=1` lines ("<service> db commands in the last 10 s …") of a
// benchmark run, per phase: for each service and command (kind, collection, and SCAN{fields} for a
// filter without an `_id` equality), how many and their total time (which includes the wait for
// FerretDB's one writer). Optionally per case: pass the number of cases each phase put through.
//
//   SLADESK_DB_TRACE=1 node tools/bench/intake/run.mjs        (logs in tools/bench/intake/.logs/<run>/)
//   node tools/bench/intake/db-trace.mjs tools/bench/intake/.logs/<run> [--top 25] [--cases small=120,large=80]
// With SLADESK_FERRETDB_TRACE_WRITES=10s the launcher also logs how long each collection's writes held its
// write lock (.logs/<run>/ferretdb.log); --window small=06:24:37-06:26:00,large=… sums those per window (UTC).
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

// The launcher's lines: "<RFC3339> sladesk-ferretdb writes in the last 10s (…), write lock held N% of the time: {…}".
const FERRET = /^(\S+) sladesk-ferretdb writes in the last \S+ .*held (\d+)% of the time: (\{.*\})\s*$/;
const windows = (opt('window') ?? '')
  .split(',')
  .filter(Boolean)
  .map((w) => {
    const [name, span] = w.split('=');
    const [from, to] = span.split('-');
    return { name, from, to };
  });
const ferretLog = join(dir, 'ferretdb.log');
if (windows.length && statSync(ferretLog, { throwIfNoEntry: false })) {
  const lines = readFileSync(ferretLog, 'utf8').split('\n').map((l) => FERRET.exec(l)).filter(Boolean);
  for (const w of windows) {
    const inside = lines.filter((m) => m[1].slice(11, 19) >= w.from && m[1].slice(11, 19) <= w.to);
    const sums = new Map();
    for (const m of inside)
      for (const [k, v] of Object.entries(JSON.parse(m[3]))) {
        const [n, held, longest] = v.replace(/ms/g, '').split('/').map(Number);
        const s = sums.get(k) ?? { n: 0, held: 0, longest: 0 };
        s.n += n;
        s.held += held;
        s.longest = Math.max(s.longest, longest);
        sums.set(k, s);
      }
    const busy = inside.map((m) => Number(m[2]));
    const cases = casesOf[w.name];
    console.log(`\n## FerretDB's write lock, ${w.name} (${w.from}–${w.to} UTC, held ${busy.length ? Math.round(busy.reduce((a, b) => a + b, 0) / busy.length) : 0} % of the time)\n`);
    console.log('| collection and command | writes | held | mean | longest |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [k, s] of [...sums].sort((a, b) => b[1].held - a[1].held).slice(0, top))
      console.log(`| \`${k}\` | ${s.n}${cases ? ` (${(s.n / cases).toFixed(2)}/case)` : ''} | ${(s.held / 1000).toFixed(1)} s | ${(s.held / s.n).toFixed(1)} ms | ${s.longest} ms |`);
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
