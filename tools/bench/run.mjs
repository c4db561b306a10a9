#!/usr/bin/env node
// `npm run bench`: every benchmark of the product (tools/bench/<name>/run.{mjs,cjs}), one after the
// other so they never share the cores, with their progress shown; then docs/benchmarks.md (machine,
// date, commit, and each benchmark's own tables: every figure beside its peer measured in the same run,
// with the ratio) and docs/benchmarks.json (the same, plus each benchmark's own JSON result).
//
//   npm run bench                         all of them, full size (about an hour or more on 2 cores)
//   npm run bench -- --quick              small sizes, a few minutes (figures are indicative only)
//   npm run bench -- --only sla,intake    some of them
//   npm run bench -- --out /tmp/b.md      write elsewhere (the JSON goes beside it)
// A benchmark that fails is reported as failed (with the end of its output) and the others still run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';

const here = import.meta.dirname;
const root = join(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const QUICK = argv.includes('--quick');
const ONLY = opt('only', '').split(',').filter(Boolean);
const OUT = opt('out', join(root, 'docs', 'benchmarks.md'));
const started = Date.now();
const clock = (ms) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;
const say = (line) => console.error(`[bench ${clock(Date.now() - started)}] ${line}`);

/**
 * How each benchmark is run, full and --quick. A benchmark folder not listed here still runs, with no
 * arguments. `node` are extra Node flags.
 */
const KNOWN = {
  'business-time': { full: [], quick: ['--quick'] },
  intake: {
    full: [],
    quick: [],
    quickEnv: {
      BENCH_SECONDS: '5',
      BENCH_WARMUP_SECONDS: '2',
      BENCH_SEED_LARGE: '0',
      BENCH_SEED_SMALL: '200',
      BENCH_DRAIN_SECONDS: '120',
    },
  },
  sla: { full: [], quick: ['--counts', '10000', '--spreads', '30', '--burst', '10000'] },
  maintenance: { full: [], quick: [], quickEnv: { BENCH_ACCOUNTS: '300' } },
  reporting: { node: ['--expose-gc'], full: [], quick: ['--rows', '5000', '--xlsx-rows', '2000'] },
};

const benches = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const file = ['run.mjs', 'run.cjs', 'run.js']
      .map((f) => join(here, d.name, f))
      .find((f) => existsSync(f));
    return file ? { name: d.name, file } : undefined;
  })
  .filter((b) => b && (ONLY.length === 0 || ONLY.includes(b.name)));
if (benches.length === 0) throw new Error(`no benchmark matches --only ${ONLY.join(',')}`);

/** The newest JSON file a benchmark wrote into its results/ folder during its run. */
function newestResult(name, since) {
  const dir = join(here, name, 'results');
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ f: join(dir, f), t: statSync(join(dir, f)).mtimeMs }))
    .filter((x) => x.t >= since)
    .sort((a, b) => b.t - a.t);
  return files[0]?.f;
}

/** Markdown tables of a text as arrays of row objects keyed by the header cells. */
function tablesOf(markdown) {
  const tables = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    if (!/^\s*\|.*\|\s*$/.test(lines[i]) || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1])) continue;
    const cells = (l) =>
      l
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((c) => c.trim());
    const head = cells(lines[i]);
    const rows = [];
    let j = i + 2;
    for (; j < lines.length && /^\s*\|.*\|\s*$/.test(lines[j]); j++)
      rows.push(Object.fromEntries(cells(lines[j]).map((c, k) => [head[k] ?? `col${k}`, c])));
    tables.push({ columns: head, rows });
    i = j - 1;
  }
  return tables;
}

function run(bench, index) {
  const cfg = KNOWN[bench.name] ?? { full: [], quick: [] };
  const args = [...(cfg.node ?? []), bench.file, ...(QUICK ? cfg.quick : cfg.full)];
  const env = { ...process.env, ...(QUICK ? cfg.quickEnv : cfg.fullEnv), FORCE_COLOR: '0' };
  const label = `${index + 1}/${benches.length} ${bench.name}`;
  const command = `node ${args.map((a) => (a.startsWith('/') ? relative(root, a) : a)).join(' ')}`;
  say(
    `▶ ${label}: ${command}${
      QUICK && cfg.quickEnv
        ? ` (${Object.entries(cfg.quickEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')})`
        : ''
    }`,
  );
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    let lastLine = Date.now();
    const heartbeat = setInterval(() => {
      if (Date.now() - lastLine > 30_000) say(`  ${label}: still running (${clock(Date.now() - t0)})`);
    }, 30_000);
    const relay = (prefix) => {
      let partial = '';
      return (b) => {
        const text = partial + b.toString();
        const lines = text.split('\n');
        partial = lines.pop();
        for (const l of lines) {
          lastLine = Date.now();
          tail = `${tail}${l}\n`.slice(-6000);
          console.error(`[bench ${clock(Date.now() - started)} ${label}]${prefix} ${l}`);
        }
      };
    };
    child.stdout.on('data', (b) => {
      stdout += b.toString();
    });
    child.stdout.on('data', relay(' │'));
    child.stderr.on('data', relay(''));
    child.once('exit', (code, signal) => {
      clearInterval(heartbeat);
      const seconds = Math.round((Date.now() - t0) / 1000);
      say(`${code === 0 ? '✔' : '✘'} ${label} (${clock(seconds * 1000)})`);
      const jsonFile = newestResult(bench.name, t0);
      let result;
      try {
        result = jsonFile ? JSON.parse(readFileSync(jsonFile, 'utf8')) : undefined;
      } catch {
        result = undefined;
      }
      resolve({
        name: bench.name,
        command,
        env: QUICK ? cfg.quickEnv : cfg.fullEnv,
        seconds,
        status: code === 0 ? 'ok' : `failed (${code ?? signal})`,
        markdown: stdout.trim(),
        tables: tablesOf(stdout),
        resultFile: jsonFile ? relative(root, jsonFile) : undefined,
        result,
        ...(code === 0 ? {} : { outputTail: tail }),
      });
    });
  });
}

const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' }).stdout.trim();
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  loadAverageAtStart: loadavg().map((x) => Math.round(x * 10) / 10),
};
say(
  `${benches.length} benchmarks${QUICK ? ' (--quick: small sizes)' : ''}: ${benches.map((b) => b.name).join(', ')}; load average ${machine.loadAverageAtStart.join(' ')}`,
);
const build = spawnSync(process.execPath, [join(root, 'tools', 'scripts', 'build.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

const results = [];
for (const [i, b] of benches.entries()) results.push(await run(b, i));
machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 10) / 10);

const report = {
  date: new Date(started).toISOString(),
  commit: git('rev-parse', '--short', 'HEAD'),
  workingTreeChanges: git('status', '--porcelain', '--', 'apps', 'libs', 'tools').split('\n').filter(Boolean)
    .length,
  quick: QUICK,
  machine,
  totalSeconds: Math.round((Date.now() - started) / 1000),
  benchmarks: results,
};

const md = [];
md.push('# Benchmarks');
md.push('');
md.push(
  `Written by \`npm run bench${QUICK ? ' -- --quick' : ''}\` (tools/bench/run.mjs) on ${report.date.slice(0, 16).replace('T', ' ')} UTC, commit ${report.commit}` +
    `${report.workingTreeChanges ? ` plus ${report.workingTreeChanges} uncommitted files under apps/ libs/ tools/` : ''}; the JSON of the same run: \`${relative(dirname(OUT), OUT.replace(/\.md$/, '.json'))}\`.`,
);
md.push('');
md.push(
  `Machine: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node}; load average ${machine.loadAverageAtStart.join(' / ')} at the start, ${machine.loadAverageAtEnd.join(' / ')} at the end (the machine is shared: absolute figures move with the load, the ratios less — each figure is measured beside its peer in the same run).`,
);
if (QUICK)
  md.push(
    '',
    '**--quick**: small sizes, to check that every benchmark runs; the figures are indicative only.',
  );
md.push('');
md.push('| benchmark | command | took | status |');
md.push('|---|---|---:|---|');
for (const r of results)
  md.push(
    `| [${r.name}](#${r.name}) | \`${r.command}\`${
      r.env
        ? ` with ${Object.entries(r.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : ''
    } | ${clock(r.seconds * 1000)} | ${r.status} |`,
  );
for (const r of results) {
  md.push('', `## ${r.name}`, '');
  md.push(
    `\`${r.command}\` — ${r.status}, ${clock(r.seconds * 1000)}${r.resultFile ? `; its own JSON: \`${r.resultFile}\`` : ''}. Method and caveats: the benchmark's header comment and its README.`,
  );
  md.push('');
  if (r.markdown) md.push(r.markdown.replace(/^# /gm, '### ').replace(/^## /gm, '### '));
  if (r.outputTail) md.push('', '```', r.outputTail.trim().split('\n').slice(-25).join('\n'), '```');
}
// The fault suite's and the cluster run's recorded counts (npm run test:faults / test:cluster / soak with
// --record write them to tools/faults/results/): the latest of each kind, as the suite printed them.
const faultsDir = join(root, 'tools', 'faults', 'results');
const recorded = existsSync(faultsDir)
  ? readdirSync(faultsDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => ({ file: f, r: JSON.parse(readFileSync(join(faultsDir, f), 'utf8')) }))
  : [];
const latest = (pick) => recorded.filter(pick).at(-1);
const faultRuns = [
  ['one NATS server, one instance of every service', latest(({ r }) => r.scenarios && !r.cluster)],
  ['a 3-node NATS cluster (R3 streams), two instances of every service', latest(({ r }) => r.scenarios && r.cluster)],
].filter(([, x]) => x);
if (faultRuns.length) {
  md.push('', '## Faults and the cluster (counts)', '');
  md.push('Recorded by `npm run test:faults -- --record` and `npm run test:cluster -- --record` (method: `docs/faults.md`); not re-run by this command.');
  for (const [what, { file, r }] of faultRuns) {
    md.push('', `### ${what}: run ${r.run} (\`tools/faults/results/${file}\`), bursts of ${r.burst}`, '');
    md.push('| scenario | requests | ok | lost | duplicated | unknown | refused | passed |');
    md.push('|---|---:|---:|---:|---:|---:|---:|---|');
    for (const sc of r.scenarios) {
      const c = sc.counts ?? {};
      const why = [
        ...(c.lost || c.duplicated || c.unknown ? [`requests lost ${c.lost}, duplicated ${c.duplicated}, unknown ${c.unknown}`] : []),
        ...(sc.checks ?? []).filter((k) => !k.passed).map((k) => k.check),
      ];
      md.push(`| ${sc.scenario} | ${c.requests} | ${c.ok} | ${c.lost} | ${c.duplicated} | ${c.unknown} | ${c.refused} | ${sc.passed ? 'yes' : `no: ${why.join('; ')}`} |`);
    }
  }
}
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${md.join('\n')}\n`);
writeFileSync(OUT.replace(/\.md$/, '.json'), `${JSON.stringify(report, null, 2)}\n`);
say(
  `wrote ${relative(root, OUT)} and ${relative(root, OUT.replace(/\.md$/, '.json'))} (${clock(report.totalSeconds * 1000)} in all)`,
);
process.exit(results.every((r) => r.status === 'ok') ? 0 : 1);
