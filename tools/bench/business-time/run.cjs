#!/usr/bin/env node
/*
 * Benchmark of @sladesk/business-time against dayjs-business-time and moment-business-time (run on demand,
 * not a test). Usage, from the repository root:
 *
 *   node tools/bench/business-time/run.cjs [--quick] [--json] [--against <git ref>]
 *
 * --against <ref> also builds libs/business-time/src as it is at that commit and times both builds side by
 * side in the same process, alternating `--rounds N` times (default 3; medians), for before/after figures of a
 * change of hot code from one run.
 *
 * It transpiles libs/business-time/src with @swc/core into a temporary folder, checks that the peers give the
 * same answers as ours on a one-zone calendar (Mon–Fri 09:00–17:00 UTC with US federal holidays, where they
 * are correct), then times them side by side in the same process and prints a markdown table.
 */
'use strict';
process.env.TZ = 'UTC'; // the peers work in the process's local zone: make it the calendar's zone

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../../..');
const SRC = path.join(ROOT, 'libs/business-time/src');
const QUICK = process.argv.includes('--quick');
const JSON_OUT = process.argv.includes('--json');
const ROUNDS = process.argv.includes('--rounds')
  ? Number(process.argv[process.argv.indexOf('--rounds') + 1])
  : QUICK
    ? 1
    : 3;
const AGAINST = process.argv.includes('--against')
  ? process.argv[process.argv.indexOf('--against') + 1]
  : undefined;

// ---------------------------------------------------------------------------------------------- build
function build(src = SRC, label = 'tree') {
  const swc = require(path.join(ROOT, 'node_modules/@swc/core'));
  const out = path.join(os.tmpdir(), `sladesk-business-time-bench-${process.pid}-${label}`);
  const walk = (dir) =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
    const { code } = swc.transformFileSync(file, {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
      sourceMaps: false,
    });
    const dest = path.join(out, path.relative(src, file)).replace(/\.ts$/, '.js');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, code);
  }
  process.on('exit', () => fs.rmSync(out, { recursive: true, force: true }));
  return out;
}

/** libs/business-time/src as it is at a git ref, built like the working tree. */
function buildAt(ref) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sladesk-business-time-ref-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const tar = spawnSync('git', ['-C', ROOT, 'archive', ref, 'libs/business-time/src'], {
    maxBuffer: 1 << 28,
  });
  if (tar.status !== 0) throw new Error(`git archive ${ref}: ${tar.stderr}`);
  spawnSync('tar', ['-x', '-C', dir], { input: tar.stdout });
  return build(path.join(dir, 'libs/business-time/src'), 'ref');
}

// ---------------------------------------------------------------------------------------------- helpers
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs fn(i) repeatedly for ~ms milliseconds (after a warm-up); returns operations per second. */
function opsPerSec(fn, ms) {
  let sink = 0;
  const warm = performance.now() + Math.min(200, ms / 4);
  let i = 0;
  while (performance.now() < warm) sink += fn(i++);
  let n = 0;
  let batch = 1;
  const t0 = performance.now();
  let t1 = t0;
  while (t1 - t0 < ms) {
    for (let k = 0; k < batch; k++) sink += fn(i++);
    n += batch;
    t1 = performance.now();
    if (t1 - t0 < 10) batch *= 2;
  }
  if (sink === 42.4242) console.log(''); // keep the results alive
  return (n * 1000) / (t1 - t0);
}

const fmtOps = (x) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k/s` : `${x.toFixed(0)} /s`;
const fmtUs = (ops) => `${(1e6 / ops).toFixed(ops > 1e5 ? 3 : 1)} µs`;

// ---------------------------------------------------------------------------------------------- main
function main() {
  const libDir = build();
  const bt = require(libDir);
  const dayjs = require(path.join(ROOT, 'node_modules/dayjs'));
  const dayjsBusinessTime = require(path.join(ROOT, 'node_modules/dayjs-business-time'));
  dayjs.extend(dayjsBusinessTime.default || dayjsBusinessTime);
  const moment = require(path.join(ROOT, 'node_modules/moment'));
  require(path.join(ROOT, 'node_modules/moment-business-time'));

  const versions = {
    node: process.version,
    dayjs: require(path.join(ROOT, 'node_modules/dayjs/package.json')).version,
    'dayjs-business-time': require(path.join(ROOT, 'node_modules/dayjs-business-time/package.json')).version,
    moment: require(path.join(ROOT, 'node_modules/moment/package.json')).version,
    'moment-business-time': require(path.join(ROOT, 'node_modules/moment-business-time/package.json'))
      .version,
    cpu: os.cpus()[0] ? os.cpus()[0].model : 'unknown',
  };

  // One-zone calendar the peers handle correctly: Mon–Fri 09:00–17:00 UTC, US federal holidays 2025–2028.
  const holidays = bt.usFederalHolidayDates(2025, 2028).map((h) => h.date);
  const spec = {
    zone: 'UTC',
    windows: [
      {
        days: ['MON', 'TUE', 'WED', 'THU', 'FRI'],
        start: { time: '09:00', zone: 'UTC' },
        end: { time: '17:00', zone: 'UTC' },
      },
    ],
    holidays: holidays.map((date) => ({ date, zone: 'UTC' })),
  };
  const cal = bt.compileCalendar(spec, {
    from: new Date('2024-01-01T00:00:00Z'),
    to: new Date('2030-01-01T00:00:00Z'),
  });
  const seg = [{ start: '09:00:00', end: '17:00:00' }];
  dayjs.setBusinessTime({
    sunday: null,
    monday: seg,
    tuesday: seg,
    wednesday: seg,
    thursday: seg,
    friday: seg,
    saturday: null,
  });
  dayjs.setHolidays(holidays);
  const hours = ['09:00:00', '17:00:00'];
  moment.updateLocale('en', {
    workinghours: { 0: null, 1: hours, 2: hours, 3: hours, 4: hours, 5: hours, 6: null },
    holidays,
  });

  // Start instants: whole minutes in 2025–2026, open and closed times alike.
  const rnd = prng(20251114);
  const from = Date.parse('2025-01-01T00:00:00Z');
  const span = Date.parse('2027-01-01T00:00:00Z') - from;
  const starts = Array.from(
    { length: 1000 },
    () => new Date(from + Math.floor((rnd() * span) / 60000) * 60000),
  );
  const dayjsStarts = starts.map((d) => dayjs(d));
  const momentStarts = starts.map((d) => moment(d));

  const ours = (d, min) => bt.addBusinessSeconds(cal, d, min * 60).getTime();
  const viaDayjs = (i, min) => dayjsStarts[i].addBusinessMinutes(min).valueOf();
  const viaMoment = (i, min) => momentStarts[i].clone().addWorkingTime(min, 'minutes').valueOf();

  // 1. correctness first: the peers must agree with us on this calendar
  const agreement = {};
  for (const min of [600, 9600]) {
    const check = QUICK ? 200 : starts.length;
    let dj = 0;
    let mo = 0;
    const examples = [];
    for (let i = 0; i < check; i++) {
      const want = ours(starts[i], min);
      const a = viaDayjs(i, min);
      const b = viaMoment(i, min);
      if (a === want) dj++;
      else if (examples.length < 3)
        examples.push(
          `dayjs ${starts[i].toISOString()} +${min}min: ours ${new Date(want).toISOString()} theirs ${new Date(a).toISOString()}`,
        );
      if (b === want) mo++;
      else if (examples.length < 3)
        examples.push(
          `moment ${starts[i].toISOString()} +${min}min: ours ${new Date(want).toISOString()} theirs ${new Date(b).toISOString()}`,
        );
    }
    agreement[min] = { checked: check, dayjs: dj, moment: mo, examples };
  }

  // 2. speed, side by side in this process
  const ms = QUICK ? 300 : 1500;
  const rows = [];
  for (const min of [600, 9600]) {
    const r = {
      min,
      ours: opsPerSec((i) => ours(starts[i % 1000], min), ms),
      dayjs: opsPerSec((i) => viaDayjs(i % 1000, min), ms),
      moment: opsPerSec((i) => viaMoment(i % 1000, min), ms),
    };
    rows.push(r);
  }

  // 3. our raw throughput on the default contract (two zones, holiday rules), random starts over 10 years
  let def = bt.compileCalendar(bt.defaultContractCalendarSpec());
  const rnd2 = prng(7);
  const t10 = Date.parse('2026-01-01T00:00:00Z');
  const N = 4096;
  const dStarts = Array.from(
    { length: N },
    () => new Date(t10 + Math.floor(rnd2() * 10 * 365 * 86400) * 1000),
  );
  const eStarts = dStarts.map((d) => d.getTime() / 1000);
  const msStarts = dStarts.map((d) => new Date(d.getTime() + Math.floor(rnd2() * 1000)));
  const amounts = Array.from({ length: N }, () => 60 * Math.floor(1 + rnd2() * 9600));
  const throughputOf = (lib) => ({
    addDate: opsPerSec(
      (i) => lib.addBusinessSeconds(def, dStarts[i & (N - 1)], amounts[i & (N - 1)]).getTime(),
      ms,
    ),
    addDateMs: opsPerSec(
      (i) => lib.addBusinessSeconds(def, msStarts[i & (N - 1)], amounts[i & (N - 1)]).getTime(),
      ms,
    ),
    addEpoch: opsPerSec(
      (i) => lib.addBusinessSecondsEpoch(def, eStarts[i & (N - 1)], amounts[i & (N - 1)]),
      ms,
    ),
    between: opsPerSec(
      (i) => lib.businessSecondsBetween(def, dStarts[i & (N - 1)], dStarts[(i + 1) & (N - 1)]),
      ms,
    ),
    betweenMs: opsPerSec(
      (i) => lib.businessSecondsBetween(def, msStarts[i & (N - 1)], msStarts[(i + 1) & (N - 1)]),
      ms,
    ),
    isOpen: opsPerSec((i) => (lib.isOpen(def, dStarts[i & (N - 1)]) ? 1 : 0), ms),
  });
  const thr = throughputOf(bt);
  // the same, on the build of another commit, alternating so that both see the same load
  let against;
  if (AGAINST) {
    const old = require(buildAt(AGAINST));
    const defOld = old.compileCalendar(old.defaultContractCalendarSpec());
    const swap = (lib, cal) => {
      const keep = def;
      def = cal;
      try {
        return throughputOf(lib);
      } finally {
        def = keep;
      }
    };
    const runs = { tree: [thr], ref: [] };
    for (let k = 0; k < ROUNDS; k++) {
      runs.ref.push(swap(old, defOld));
      runs.tree.push(throughputOf(bt));
    }
    const median = (xs, key) => xs.map((x) => x[key]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    against = { ref: AGAINST, rows: {} };
    for (const key of Object.keys(thr)) {
      against.rows[key] = { tree: median(runs.tree, key), ref: median(runs.ref, key) };
    }
  }

  // 4. compile 10 years of the default calendar
  const compileFrom = new Date('2026-01-01T00:00:00Z');
  const compileTo = new Date('2036-01-01T00:00:00Z');
  const timeCompile = (clear) => {
    const xs = [];
    for (let k = 0; k < (QUICK ? 10 : 40); k++) {
      if (clear) bt.clearZoneCache();
      const t0 = performance.now();
      bt.compileCalendar(bt.defaultContractCalendarSpec(), { from: compileFrom, to: compileTo });
      xs.push(performance.now() - t0);
    }
    xs.sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)];
  };
  const compileWarm = timeCompile(false);
  const compileColdTables = timeCompile(true);
  // a fresh process: first compile ever (JIT cold, zone tables built from Intl; Intl's own first-use cost separate)
  const probe = `
    const bt = require(${JSON.stringify(libDir)});
    let t0 = performance.now();
    new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo' }).format(0);
    const icu = performance.now() - t0;
    t0 = performance.now();
    bt.compileCalendar(bt.defaultContractCalendarSpec(), { from: new Date(${compileFrom.getTime()}), to: new Date(${compileTo.getTime()}) });
    console.log(JSON.stringify({ icu, first: performance.now() - t0 }));`;
  const fresh = [];
  for (let k = 0; k < (QUICK ? 3 : 7); k++) {
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    fresh.push(JSON.parse(r.stdout));
  }
  fresh.sort((a, b) => a.first - b.first);
  const freshMedian = fresh[Math.floor(fresh.length / 2)];

  const result = {
    versions,
    agreement,
    rows,
    throughput: thr,
    against,
    compile: { warm: compileWarm, coldTables: compileColdTables, freshProcess: freshMedian },
  };
  if (JSON_OUT) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }

  const lines = [];
  lines.push(
    `Node ${versions.node}, ${versions.cpu}; dayjs ${versions.dayjs} + dayjs-business-time ${versions['dayjs-business-time']}, moment ${versions.moment} + moment-business-time ${versions['moment-business-time']}${QUICK ? ' (--quick)' : ''}`,
  );
  lines.push('');
  lines.push(
    'Agreement on Mon–Fri 09:00–17:00 UTC with US federal holidays (same answer as ours, to the millisecond):',
  );
  for (const min of [600, 9600]) {
    const a = agreement[min];
    lines.push(
      `- +${min} business minutes: dayjs-business-time ${a.dayjs}/${a.checked}, moment-business-time ${a.moment}/${a.checked}`,
    );
    for (const e of a.examples) lines.push(`  - differs: ${e}`);
  }
  lines.push('');
  lines.push(
    '| add business time | @sladesk/business-time | dayjs-business-time | moment-business-time | ours ÷ dayjs | ours ÷ moment |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    lines.push(
      `| +${r.min} min | ${fmtOps(r.ours)} (${fmtUs(r.ours)}) | ${fmtOps(r.dayjs)} (${fmtUs(r.dayjs)}) | ${fmtOps(r.moment)} (${fmtUs(r.moment)}) | ${Math.round(r.ours / r.dayjs).toLocaleString('en-US')}× | ${Math.round(r.ours / r.moment).toLocaleString('en-US')}× |`,
    );
  }
  lines.push('');
  lines.push('| default contract (2 zones, holiday rules), one core | rate |');
  lines.push('| --- | ---: |');
  lines.push(
    `| addBusinessSeconds (Date in/out), random start in 10 years, +1…9,600 min | ${fmtOps(thr.addDate)} |`,
  );
  lines.push(`| addBusinessSeconds, starts with milliseconds | ${fmtOps(thr.addDateMs)} |`);
  lines.push(`| addBusinessSecondsEpoch (epoch seconds) | ${fmtOps(thr.addEpoch)} |`);
  lines.push(`| businessSecondsBetween | ${fmtOps(thr.between)} |`);
  lines.push(`| businessSecondsBetween, instants with milliseconds | ${fmtOps(thr.betweenMs)} |`);
  lines.push(`| isOpen | ${fmtOps(thr.isOpen)} |`);
  lines.push('');
  lines.push('| compile default contract, 10 years (2026–2035) | time |');
  lines.push('| --- | ---: |');
  lines.push(`| zone tables cached (median) | ${compileWarm.toFixed(2)} ms |`);
  lines.push(`| zone tables rebuilt from Intl (median) | ${compileColdTables.toFixed(2)} ms |`);
  lines.push(
    `| first compile in a fresh process (median of ${fresh.length}; + ${freshMedian.icu.toFixed(1)} ms one-time Intl start-up) | ${freshMedian.first.toFixed(2)} ms |`,
  );
  if (against) {
    const names = {
      addDate: 'addBusinessSeconds (Date, whole-second starts)',
      addDateMs: 'addBusinessSeconds (Date, starts with milliseconds)',
      addEpoch: 'addBusinessSecondsEpoch',
      between: 'businessSecondsBetween (whole seconds)',
      betweenMs: 'businessSecondsBetween (with milliseconds)',
      isOpen: 'isOpen',
    };
    lines.push('');
    lines.push(
      `| default contract, this tree vs ${against.ref} (same process, alternating, median of ${ROUNDS + 1} / ${ROUNDS}) | this tree | ${against.ref} | ratio |`,
    );
    lines.push('| --- | ---: | ---: | ---: |');
    for (const [key, r] of Object.entries(against.rows)) {
      lines.push(
        `| ${names[key]} | ${fmtOps(r.tree)} | ${fmtOps(r.ref)} | ${(r.tree / r.ref).toFixed(2)}× |`,
      );
    }
  }
  console.log(lines.join('\n'));
}

main();
