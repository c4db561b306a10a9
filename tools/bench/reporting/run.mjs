#!/usr/bin/env node
// Benchmark (on demand, never in npm test): how fast the reporting service exports, against the same
// writers fed from memory, in one run on one machine.
//
//   node tools/scripts/build.mjs && node --expose-gc tools/bench/reporting/run.mjs [--rows N] [--xlsx-rows N] [--reuse]
//
// 1. CSV from the database: the support record's real export path (a cursor over rm_cases, each case
//    made a row by SupportRecordReport.row, csv-stringify with formula escaping) vs the same CSV writer
//    fed by an in-memory generator of the same cases. Goal: ≥ 0.5× the in-memory row rate, RSS growth
//    < 150 MB.
// 2. XLSX: our streaming writer (renderXlsx: exceljs WorkbookWriter, rows committed, a yield every
//    1,000) vs raw exceljs writing the same rows with the same columns. Goal: ≥ 0.8×. Both fed from
//    memory (the writer's own cost), and ours from the database too.
// Every phase writes into the same discarding sink, one phase after the other (they never share the
// cores). RSS: the process's resident set sampled every 100 ms; growth = peak − value at the phase's start.
//
// MONGO_URL measures that server (database sladesk_bench_reporting, dropped at the end unless --reuse);
// otherwise FerretDB is started with the project's launcher. --reuse keeps the seeded cases for the next run.
// Results: a markdown table on stdout, JSON in tools/bench/reporting/results/<timestamp>.json.
import ExcelJS from 'exceljs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..', '..', '..');
const dist = (p) => require(join(root, 'dist', p));
const mongoose = require('mongoose');
const { RmCaseSchema, RmCaseEntrySchema } = dist('apps/reporting/src/read-models/read-model.schemas.js');
const { SupportRecordReport, SUPPORT_RECORD_COLUMNS } = dist('apps/reporting/src/reports/support-record.report.js');
const { renderCsv } = dist('apps/reporting/src/render/csv.js');
const { renderXlsx } = dist('apps/reporting/src/render/xlsx.js');
const { Progress } = dist('apps/reporting/src/render/streams.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
// 1,000,000 cases on MongoDB; FerretDB reads about 1,000 case documents a second on this 2-core machine, so
// a million would take half an hour per pass: there the default is 100,000 (--rows 1000000 runs it anyway).
const ON_FERRETDB = !process.env.MONGO_URL;
const ROWS = Number(arg('rows', process.env.BENCH_ROWS ?? (ON_FERRETDB ? '100000' : '1000000')));
const XLSX_ROWS = Number(arg('xlsx-rows', process.env.BENCH_XLSX_ROWS ?? String(Math.min(ROWS, ON_FERRETDB ? 50_000 : 200_000))));
const REUSE = process.argv.includes('--reuse');
const log = (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

const MONTH = '2026-03';
const PERIOD = { from: `${MONTH}-01`, to: `${MONTH}-31`, month: MONTH };
const ACCOUNTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
const NAMES = new Map(ACCOUNTS.map((a) => [a, a[0].toUpperCase() + a.slice(1)]));

/** Case i as the projection stores it: opened, responded, an analysis, a step, resolved, SLA outcomes. */
function caseDoc(i) {
  const t = Date.UTC(2026, 2, 1) + Math.floor((i / ROWS) * 30 * 86_400_000);
  const at = (m) => new Date(t + m * 60_000).toISOString();
  const accountId = ACCOUNTS[i % ACCOUNTS.length];
  return {
    _id: `bench-${String(i).padStart(8, '0')}`,
    rev: 6,
    applied: [],
    pending: {},
    caseId: `bench-${i}`,
    accountId,
    number: i + 1,
    channel: 'email',
    severity: { v: ['critical', 'high', 'normal', 'low'][i % 4], at: '', id: 'e1' },
    category: { v: 'technical', at: '', id: 'e1' },
    receivedAt: at(0),
    day: at(0).slice(0, 10),
    month: MONTH,
    contact: { name: `Contact ${i}`, email: `contact${i}@${accountId}.example` },
    subject: `Cannot export report ${i}`,
    description: `Since this morning the export of report ${i} fails with a timeout after 30 seconds.`,
    status: { v: 'resolved', at: at(240), id: 'e5' },
    firstResponse: { at: at(30), by: 'Carla CSM', id: 'e2' },
    resolved: { at: at(240), by: 'Tom Tier2', id: 'e5' },
    reopenCount: 0,
    analysis: { seq: 3, text: 'The export query scans the whole table.' },
    resolutionSummary: { seq: 5, text: 'Added an index; exports take 2 seconds.' },
    seqs: [1, 2, 3, 4, 5],
    steps: {
      1: { kind: 'opened', at: at(0), actor: `Contact ${i}`, text: 'Since this morning the export fails.' },
      2: { kind: 'response', at: at(30), actor: 'Carla CSM', text: 'We are looking into it.' },
      3: { kind: 'analysis', at: at(90), actor: 'Tom Tier2', text: 'The export query scans the whole table.' },
      4: { kind: 'step', at: at(180), actor: 'Tom Tier2', text: 'Added an index on the report table.' },
      5: { kind: 'resolved', at: at(240), actor: 'Tom Tier2', text: 'Added an index; exports take 2 seconds.' },
    },
    clocks: {
      'first_response:1': { clock: 'first_response', cycle: 1, met: { at: at(30), id: 'm1', withinGoal: true, elapsed: 1800, clause: 'policy default v1 · high · firstResponse: PT4H business hours' } },
      'resolution:1': { clock: 'resolution', cycle: 1, met: { at: at(240), id: 'm2', withinGoal: i % 10 !== 0, elapsed: 14_400, clause: 'policy default v1 · high · resolution: P2D business hours' } },
    },
  };
}

class Discard extends Writable {
  bytes = 0;
  _write(chunk, _enc, done) {
    this.bytes += chunk.length;
    done();
  }
}

async function measure(name, rows, run) {
  global.gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const sink = new Discard();
  const t0 = process.hrtime.bigint();
  const written = await run(sink);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const r = { name, rows: written ?? rows, seconds: +seconds.toFixed(2), rowsPerSecond: Math.round((written ?? rows) / seconds), bytes: sink.bytes, rssStartMb: Math.round(start / 2 ** 20), rssGrowthMb: Math.round((peak - start) / 2 ** 20) };
  log(`${name}: ${r.rows} rows in ${r.seconds} s = ${r.rowsPerSecond} rows/s, ${(sink.bytes / 2 ** 20).toFixed(1)} MB out, RSS +${r.rssGrowthMb} MB`);
  return r;
}

async function main() {
  let ferret;
  let url = process.env.MONGO_URL;
  if (!url) {
    const infra = dist('libs/testing/src/infra.js');
    ferret = await infra.startFerretdb({ dataDir: mkdtempSync(join(tmpdir(), 'sladesk-bench-reporting-')), log });
    url = ferret.url;
  }
  const server = process.env.MONGO_URL ? 'MongoDB at MONGO_URL' : 'FerretDB 1.24 (SQLite), project launcher';
  const conn = await mongoose.createConnection(url.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, '$1/sladesk_bench_reporting')).asPromise();
  const cases = conn.model('RmCase', RmCaseSchema);
  const entries = conn.model('RmCaseEntry', RmCaseEntrySchema);
  await cases.init();
  const support = new SupportRecordReport(cases, entries, null, null);
  try {
    const have = await cases.collection.estimatedDocumentCount();
    if (have !== ROWS) {
      await cases.collection.deleteMany({});
      log(`seeding ${ROWS} cases into ${server}`);
      const t0 = Date.now();
      for (let i = 0; i < ROWS; i += 5000) {
        await cases.collection.insertMany(Array.from({ length: Math.min(5000, ROWS - i) }, (_, k) => caseDoc(i + k)), { ordered: false });
        if ((i / 5000) % 20 === 0) log(`  ${i + 5000} seeded (${Math.round((i + 5000) / ((Date.now() - t0) / 1000))}/s)`);
      }
      log(`seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } else log(`reusing ${have} seeded cases`);

    const table = (rows) => ({ name: 'cases', title: 'Cases', columns: SUPPORT_RECORD_COLUMNS, rows });
    const fromMemory = (n) =>
      async function* () {
        for (let i = 0; i < n; i++) yield await support.row(caseDoc(i), NAMES);
      };
    const fromDb = (n) =>
      async function* () {
        let k = 0;
        for await (const c of support.cases(PERIOD, undefined, false)) {
          if (k++ >= n) return;
          yield await support.row(c, NAMES);
        }
      };
    const doc = (rows) => ({ report: 'support-record', title: 'Support record', period: PERIOD, generatedAt: new Date().toISOString(), figures: [], charts: [], tables: [table(rows)], summary: {}, expectedRows: 0 });

    const results = [];
    const readOnly = await measure('database cursor alone (no rows made)', ROWS, async () => {
      let n = 0;
      for await (const _ of support.cases(PERIOD, undefined, false)) n++;
      return n;
    });
    const csvMemory = await measure('CSV, in-memory generator', ROWS, async (sink) => {
      const p = new Progress();
      await renderCsv(table(fromMemory(ROWS)), sink, p);
      return p.rows;
    });
    const csvDb = await measure('CSV, from the database', ROWS, async (sink) => {
      const p = new Progress();
      await renderCsv(table(fromDb(ROWS)), sink, p);
      return p.rows;
    });
    const raw = await measure('XLSX, raw exceljs', XLSX_ROWS, async (sink) => {
      const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false });
      const ws = wb.addWorksheet('cases');
      ws.columns = SUPPORT_RECORD_COLUMNS.map((c) => ({ header: c.header, key: c.key, width: Math.max(10, Math.round((c.width ?? 8) * 1.6)) }));
      let n = 0;
      for await (const row of fromMemory(XLSX_ROWS)()) {
        ws.addRow(Object.fromEntries(SUPPORT_RECORD_COLUMNS.map((c) => [c.key, c.kind === 'datetime' && row[c.key] ? new Date(row[c.key]) : row[c.key]]))).commit();
        if (++n % 1000 === 0) await new Promise((r) => setImmediate(r));
      }
      ws.commit();
      await wb.commit();
      return n;
    });
    const oursMemory = await measure('XLSX, ours, in-memory generator', XLSX_ROWS, async (sink) => {
      const p = new Progress();
      await renderXlsx(doc(fromMemory(XLSX_ROWS)), sink, p);
      return p.rows;
    });
    const oursDb = await measure('XLSX, ours, from the database', XLSX_ROWS, async (sink) => {
      const p = new Progress();
      await renderXlsx(doc(fromDb(XLSX_ROWS)), sink, p);
      return p.rows;
    });
    results.push(readOnly, csvMemory, csvDb, raw, oursMemory, oursDb);

    const ratio = (a, b) => +(a.rowsPerSecond / b.rowsPerSecond).toFixed(2);
    const verdicts = {
      csvDbVsMemory: { ratio: ratio(csvDb, csvMemory), goal: 0.5, rssGrowthMb: csvDb.rssGrowthMb, rssGoalMb: 150 },
      xlsxOursVsRaw: { ratio: ratio(oursMemory, raw), goal: 0.8 },
      xlsxOursFromDbVsRaw: { ratio: ratio(oursDb, raw), goal: 0.8 },
    };
    const machine = { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((l) => +l.toFixed(2)), node: process.version, server };
    console.log(`\n## Reporting export benchmark (${new Date().toISOString()})\n`);
    console.log(`${server}; ${machine.cpus} cores (${machine.model}), load average ${machine.loadavg.join(' / ')} at the end; Node ${machine.node}\n`);
    console.log('| phase | rows | seconds | rows/s | output MB | RSS growth MB |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of results) console.log(`| ${r.name} | ${r.rows} | ${r.seconds} | ${r.rowsPerSecond} | ${(r.bytes / 2 ** 20).toFixed(1)} | ${r.rssGrowthMb} |`);
    const mark = (ok) => (ok ? 'met' : 'NOT met');
    console.log(`\n- CSV from the database: **${verdicts.csvDbVsMemory.ratio}×** the in-memory rate (goal ≥ 0.5×: ${mark(verdicts.csvDbVsMemory.ratio >= 0.5)}), RSS +${csvDb.rssGrowthMb} MB (goal < 150 MB: ${mark(csvDb.rssGrowthMb < 150)})`);
    console.log(`- The database cursor alone delivers ${readOnly.rowsPerSecond} cases/s: ${ratio(readOnly, csvMemory)}× what the CSV writer takes from memory, so it bounds the export`);
    console.log(`- XLSX, our writer vs raw exceljs, same rows from memory: **${verdicts.xlsxOursVsRaw.ratio}×** (goal ≥ 0.8×: ${mark(verdicts.xlsxOursVsRaw.ratio >= 0.8)}); from the database: ${verdicts.xlsxOursFromDbVsRaw.ratio}×`);
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ rows: ROWS, xlsxRows: XLSX_ROWS, machine, results, verdicts }, null, 2)}\n`);
    log(`results in ${file}`);
  } finally {
    if (!REUSE) await conn.dropDatabase().catch(() => undefined);
    await conn.close();
    await ferret?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
