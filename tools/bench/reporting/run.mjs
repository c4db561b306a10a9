#!/usr/bin/env node
// Benchmark (on demand, never in npm test): how fast the reporting service exports, against the same
// writers fed from memory, in one run on one machine.
//
//   node tools/scripts/build.mjs && node --expose-gc tools/bench/reporting/run.mjs [--rows N] [--xlsx-rows N] [--legacy-rows N] [--open-every K] [--reuse]
//
// 1. CSV from the database: the support record's real export path (RecordReader: the loose cases from
//    rm_cases by _id, then the record packs by _id; csv-stringify with formula escaping) vs the same CSV
//    writer fed by an in-memory generator of the same cases (each made a row by SupportRecordRows.row).
//    Goal: ≥ 0.5× the in-memory row rate, RSS growth < 150 MB. Every --open-every'th case (100) is open,
//    so the export merges loose cases with packed ones. The export path of before (a cursor over
//    rm_cases) is measured on its first --legacy-rows (20,000) cases, for comparison.
// 2. XLSX: our streaming writer (renderXlsx: exceljs WorkbookWriter, rows committed, a yield every
//    1,000) vs raw exceljs writing the same rows with the same columns. Goal: ≥ 0.8×. Both fed from
//    memory (the writer's own cost), and ours from the database too.
// Every phase writes into the same discarding sink, one phase after the other (they never share the
// cores). RSS: the process's resident set sampled every 100 ms; growth = peak − value at the phase's start.
//
// Seeding is the projection's own code: each case document is placed by RecordPacks' builder (the
// placement, rendering and slot rule the live projection uses; `rebuild.js --packs` runs the same), which
// writes the packs, heads and loose keys; the case documents carry the placement they record.
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
const schemas = dist('apps/reporting/src/read-models/read-model.schemas.js');
const { SupportRecordRows, SUPPORT_RECORD_COLUMNS } = dist('apps/reporting/src/reports/support-record-rows.js');
const { SupportRecordReport } = dist('apps/reporting/src/reports/support-record.report.js');
const { BucketReader } = dist('apps/reporting/src/reports/bucket-reader.js');
const { RecordPacks } = dist('apps/reporting/src/record-packs/record-packs.service.js');
const { RecordReader } = dist('apps/reporting/src/record-packs/record-reader.js');
const { RECORD_PACK_COLLECTIONS } = dist('apps/reporting/src/record-packs/record-packs.schema.js');
const { renderCsv } = dist('apps/reporting/src/render/csv.js');
const { renderXlsx } = dist('apps/reporting/src/render/xlsx.js');
const { Progress } = dist('apps/reporting/src/render/streams.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ROWS = Number(arg('rows', process.env.BENCH_ROWS ?? '1000000'));
const XLSX_ROWS = Number(arg('xlsx-rows', process.env.BENCH_XLSX_ROWS ?? String(Math.min(ROWS, 200_000))));
// The cursor over rm_cases (the export path of before) reads about 1,000 case documents a second on
// FerretDB here: only its first --legacy-rows are read, to give its rate.
const LEGACY_ROWS = Math.min(ROWS, Number(arg('legacy-rows', '20000')));
const OPEN_EVERY = Number(arg('open-every', '100'));
const REUSE = process.argv.includes('--reuse');
// FerretDB's data in this folder (kept), so that --reuse finds the seeded cases after a failed run.
const DATA_DIR = arg('data-dir', undefined);
const log = (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

const MONTH = '2026-03';
const PERIOD = { from: `${MONTH}-01`, to: `${MONTH}-31`, month: MONTH };
const ACCOUNTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
const NAMES = new Map(ACCOUNTS.map((a) => [a, a[0].toUpperCase() + a.slice(1)]));

// Texts drawn from a vocabulary per case (deterministic), so that rows differ as real ones do: a pack of
// template rows would deflate ~28×, real support text ~4–6×.
const WORDS = `the a an export report fails timeout login session store index query customer user page error works again slow database server network certificate expired renew mail bounce queue retry invoice billing sync api token key rotate dashboard chart empty missing duplicate upload file size limit browser cache cleared restart deploy release version upgrade rollback backup restore permission role admin invite sso saml okta password reset locked account webhook payload signature schedule cron job stuck pending memory cpu disk latency spike region outage degraded partial fixed patched workaround escalated confirmed reproduced cannot since yesterday morning after before when every hour`.split(' ');
function words(i, salt, n) {
  let s = (i * 2654435761 + salt * 40503) >>> 0;
  const out = [];
  for (let k = 0; k < n; k++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out.push(WORDS[(s >>> 8) % WORDS.length]);
  }
  return out.join(' ');
}
const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Hedy', 'Linus', 'Margaret', 'Dennis', 'Karen'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee', 'Lamarr', 'Torvalds', 'Hamilton', 'Ritchie', 'Jones'];

/**
 * Case i as the projection stores it: opened, responded, an analysis, a step, resolved, SLA outcomes
 * (every OPEN_EVERY'th case still open: responded and analysed, not resolved).
 */
function caseDoc(i) {
  const t = Date.UTC(2026, 2, 1) + Math.floor((i / ROWS) * 30 * 86_400_000);
  const at = (m) => new Date(t + m * 60_000).toISOString();
  const accountId = ACCOUNTS[i % ACCOUNTS.length];
  const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]} ${i}`;
  const open = i % OPEN_EVERY === OPEN_EVERY - 1;
  const text = { subject: words(i, 1, 5), description: words(i, 2, 14), analysis: words(i, 3, 7), step: words(i, 4, 7), resolution: words(i, 5, 7), response: words(i, 6, 5) };
  const doc = {
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
    contact: { name, email: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@${accountId}.example` },
    subject: text.subject,
    description: text.description,
    status: { v: 'resolved', at: at(240), id: 'e5' },
    firstResponse: { at: at(30), by: 'Carla CSM', id: 'e2' },
    resolved: { at: at(240), by: 'Tom Tier2', id: 'e5' },
    reopenCount: 0,
    analysis: { seq: 3, text: text.analysis },
    resolutionSummary: { seq: 5, text: text.resolution },
    seqs: [1, 2, 3, 4, 5],
    steps: {
      1: { kind: 'opened', at: at(0), actor: name, text: text.description, contact: true },
      2: { kind: 'response', at: at(30), actor: 'Carla CSM', text: text.response },
      3: { kind: 'analysis', at: at(90), actor: 'Tom Tier2', text: text.analysis },
      4: { kind: 'step', at: at(180), actor: 'Tom Tier2', text: text.step },
      5: { kind: 'resolved', at: at(240), actor: 'Tom Tier2', text: text.resolution },
    },
    clocks: {
      'first_response:1': { clock: 'first_response', cycle: 1, met: { at: at(30), id: 'm1', withinGoal: true, elapsed: 1800, clause: 'policy default v1 · high · firstResponse: PT4H business hours' } },
      'resolution:1': { clock: 'resolution', cycle: 1, met: { at: at(240), id: 'm2', withinGoal: i % 10 !== 0, elapsed: 14_400, clause: 'policy default v1 · high · resolution: P2D business hours' } },
    },
  };
  if (open) {
    doc.status = { v: 'in_progress', at: at(90), id: 'e3' };
    delete doc.resolved;
    delete doc.resolutionSummary;
    delete doc.clocks['resolution:1'];
    delete doc.steps[4];
    delete doc.steps[5];
    doc.seqs = [1, 2, 3];
  }
  return doc;
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
  const r = { name, loadavg1: +loadavg()[0].toFixed(2), rows: written ?? rows, seconds: +seconds.toFixed(2), rowsPerSecond: Math.round((written ?? rows) / seconds), bytes: sink.bytes, rssStartMb: Math.round(start / 2 ** 20), rssGrowthMb: Math.round((peak - start) / 2 ** 20) };
  log(`${name}: ${r.rows} rows in ${r.seconds} s = ${r.rowsPerSecond} rows/s, ${(sink.bytes / 2 ** 20).toFixed(1)} MB out, RSS +${r.rssGrowthMb} MB`);
  return r;
}

async function main() {
  const loadAtStart = loadavg().map((l) => +l.toFixed(2));
  let ferret;
  let url = process.env.MONGO_URL;
  if (!url) {
    const infra = dist('libs/testing/src/infra.js');
    ferret = await infra.startFerretdb({ dataDir: DATA_DIR ?? mkdtempSync(join(tmpdir(), 'sladesk-bench-reporting-')), log });
    url = ferret.url;
  }
  const server = process.env.MONGO_URL ? 'MongoDB at MONGO_URL' : 'FerretDB 1.24 (SQLite), project launcher';
  const conn = await mongoose.createConnection(url.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, '$1/sladesk_bench_reporting')).asPromise();
  const model = (name) => conn.model(name, [...schemas.READ_MODELS].find((m) => m.name === name).schema);
  const [cases, entries, packs, heads, loose, buckets, index, clauses, accounts] = ['RmCase', 'RmCaseEntry', 'RmRecordPack', 'RmRecordHead', 'RmRecordLoose', 'RmBucket', 'RmReportIndex', 'RmClause', 'RmAccount'].map(model);
  await Promise.all([cases.init(), loose.init()]);
  const caseRows = new SupportRecordRows(entries);
  const placer = new RecordPacks(packs, heads, loose, caseRows);
  const records = new RecordReader(cases, packs, heads, loose, caseRows, new BucketReader(buckets, index, clauses, accounts));
  const support = new SupportRecordReport(cases, caseRows, records, null, null);
  let seeding = { reused: true };
  try {
    const have = await cases.collection.estimatedDocumentCount();
    if (have !== ROWS || (await packs.collection.estimatedDocumentCount()) === 0) {
      for (const name of ['rm_cases', 'rm_report_index', 'bench_meta', ...RECORD_PACK_COLLECTIONS]) await conn.db.collection(name).deleteMany({});
      log(`seeding ${ROWS} cases into ${server}, placed by the projection's RecordPacks builder`);
      const t0 = Date.now();
      const builder = placer.builder();
      for (let i = 0; i < ROWS; i += 5000) {
        const batch = [];
        for (let k = i; k < Math.min(i + 5000, ROWS); k++) {
          const c = caseDoc(k);
          const derived = await builder.add(c);
          batch.push(derived ? { ...c, derived } : c);
        }
        await cases.collection.insertMany(batch, { ordered: false });
        if ((i / 5000) % 20 === 0) log(`  ${i + batch.length} seeded (${Math.round((i + batch.length) / ((Date.now() - t0) / 1000))}/s)`);
      }
      await builder.finish();
      // What the counters' hand-over keeps: the accounts with cases in the month (the export reads their packs).
      await index.collection.insertOne({ _id: MONTH, accounts: ACCOUNTS });
      seeding = {
        seconds: Math.round((Date.now() - t0) / 1000),
        packs: builder.packsWritten,
        loose: builder.looseWritten,
        rowBytes: builder.rowBytes,
        deflatedBytes: builder.deflatedBytes,
        deflated: +(builder.rowBytes / Math.max(1, builder.deflatedBytes)).toFixed(1),
      };
      log(`seeded in ${seeding.seconds} s: ${builder.packsWritten} packs, ${builder.looseWritten} loose cases`);
    } else log(`reusing ${have} seeded cases`);
    if (!seeding.reused) await conn.db.collection('bench_meta').replaceOne({ _id: 'seeding' }, seeding, { upsert: true });
    else seeding = { reused: true, ...((await conn.db.collection('bench_meta').findOne({ _id: 'seeding' })) ?? {}) };
    log(`packs: ${((seeding.rowBytes ?? 0) / 2 ** 20).toFixed(0)} MB of rows in ${((seeding.deflatedBytes ?? 0) / 2 ** 20).toFixed(0)} MB deflated (${seeding.deflated}×)`);

    const table = (rows) => ({ name: 'cases', title: 'Cases', columns: SUPPORT_RECORD_COLUMNS, rows });
    const fromMemory = (n) =>
      async function* () {
        for (let i = 0; i < n; i++) yield await caseRows.row(caseDoc(i), NAMES);
      };
    // The export path: what SupportRecordReport's table yields for a big export (storage order).
    const fromDb = (n) =>
      async function* () {
        let k = 0;
        for await (const row of records.rows(PERIOD, undefined, new Map(NAMES))) {
          if (k++ >= n) return;
          yield row;
        }
      };
    // The export path of before: a cursor over rm_cases, each case rendered.
    const fromCursor = (n) =>
      async function* () {
        let k = 0;
        for await (const c of support.cases(PERIOD, undefined, false)) {
          if (k++ >= n) return;
          yield await caseRows.row(c, NAMES);
        }
      };
    const doc = (rows) => ({ report: 'support-record', title: 'Support record', period: PERIOD, generatedAt: new Date().toISOString(), figures: [], charts: [], tables: [table(rows)], summary: {}, expectedRows: 0 });
    const csv = (name, n, rows) =>
      measure(name, n, async (sink) => {
        const p = new Progress();
        await renderCsv(table(rows), sink, p);
        return p.rows;
      });

    const results = [];
    const legacy = await csv(`CSV, the path of before (cursor over rm_cases), first ${LEGACY_ROWS} cases`, LEGACY_ROWS, fromCursor(LEGACY_ROWS));
    const readOnly = await measure('record packs and loose cases read alone (no CSV)', ROWS, async () => {
      let n = 0;
      for await (const _ of records.rows(PERIOD, undefined, new Map(NAMES))) n++;
      return n;
    });
    const csvMemory = await csv('CSV, in-memory generator', ROWS, fromMemory(ROWS));
    const csvDb = await csv('CSV, from the database (the export path: packs + loose)', ROWS, fromDb(ROWS));
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
    results.push(legacy, readOnly, csvMemory, csvDb, raw, oursMemory, oursDb);

    const ratio = (a, b) => +(a.rowsPerSecond / b.rowsPerSecond).toFixed(2);
    const verdicts = {
      csvDbVsMemory: { ratio: ratio(csvDb, csvMemory), goal: 0.5, rssGrowthMb: csvDb.rssGrowthMb, rssGoalMb: 150 },
      csvBeforeVsMemory: { ratio: ratio(legacy, csvMemory) },
      xlsxOursVsRaw: { ratio: ratio(oursMemory, raw), goal: 0.8 },
      xlsxOursFromDbVsRaw: { ratio: ratio(oursDb, raw), goal: 0.8 },
    };
    const machine = { cpus: cpus().length, model: cpus()[0]?.model, loadAtStart, loadavg: loadavg().map((l) => +l.toFixed(2)), node: process.version, server };
    console.log(`\n## Reporting export benchmark (${new Date().toISOString()})\n`);
    console.log(`${server}; ${machine.cpus} cores (${machine.model}), load average ${machine.loadAtStart.join(' / ')} at the start, ${machine.loadavg.join(' / ')} at the end; Node ${machine.node}\n`);
    console.log('| phase | rows | seconds | rows/s | output MB | RSS growth MB | load avg (1 min) at its end |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results) console.log(`| ${r.name} | ${r.rows} | ${r.seconds} | ${r.rowsPerSecond} | ${(r.bytes / 2 ** 20).toFixed(1)} | ${r.rssGrowthMb} | ${r.loadavg1} |`);
    const mark = (ok) => (ok ? 'met' : 'NOT met');
    console.log(`\n- CSV from the database: **${verdicts.csvDbVsMemory.ratio}×** the in-memory rate (goal ≥ 0.5×: ${mark(verdicts.csvDbVsMemory.ratio >= 0.5)}), RSS +${csvDb.rssGrowthMb} MB (goal < 150 MB: ${mark(csvDb.rssGrowthMb < 150)})`);
    console.log(`- The path of before (cursor over rm_cases): ${legacy.rowsPerSecond} rows/s = ${verdicts.csvBeforeVsMemory.ratio}× (first ${LEGACY_ROWS} cases)`);
    console.log(`- Packs and loose cases read alone: ${readOnly.rowsPerSecond} rows/s = ${ratio(readOnly, csvMemory)}× what the CSV writer takes from memory`);
    console.log(`- Seeding: ${JSON.stringify(seeding)}`);
    console.log(`- XLSX, our writer vs raw exceljs, same rows from memory: **${verdicts.xlsxOursVsRaw.ratio}×** (goal ≥ 0.8×: ${mark(verdicts.xlsxOursVsRaw.ratio >= 0.8)}); from the database: ${verdicts.xlsxOursFromDbVsRaw.ratio}×`);
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ rows: ROWS, xlsxRows: XLSX_ROWS, legacyRows: LEGACY_ROWS, openEvery: OPEN_EVERY, machine, seeding, results, verdicts }, null, 2)}\n`);
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
