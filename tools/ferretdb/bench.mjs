#!/usr/bin/env node
// Write throughput of the FerretDB launcher under several configurations, measured in one run, one
// configuration after the other (each in a fresh data folder, so they do not share the cores).
//
//   node tools/scripts/build.mjs && node tools/ferretdb/bench.mjs
//   node tools/ferretdb/bench.mjs --baseline ~/.cache/sladesk/ferretdb-v1.24.2-<old>/sladesk-ferretdb
//
// Per configuration, over the mongodb driver, one operation at a time:
//   insert      N insertOne of a small document into an empty collection
//   update _id  N updateOne({_id}, {$inc}) on random documents of a 10k-document collection
//   update _id+seq  N updateOne({_id, seq}, {$set: {seq: seq + 1}}) (optimistic concurrency), same collection
// A phase stops after N operations or --seconds, whichever comes first (unindexed plans are slow).
// Options: --ops 2000  --docs 10000  --seconds 20  --baseline <binary> (an older launcher, e.g. unpatched)
//          --only default,normal,noindex,baseline
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..', '..');
const infra = require(process.env.SLADESK_INFRA_JS ?? join(root, 'dist/libs/testing/src/infra.js'));
const { MongoClient } = require('mongodb');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ops = Number(arg('ops', '2000'));
const docs = Number(arg('docs', '10000'));
const seconds = Number(arg('seconds', '20'));
const baseline = arg('baseline', undefined);
const only = arg('only', undefined)?.split(',');

const bin = await infra.ensureFerretdbBinary(console.error);
const configs = [
  baseline && { name: 'baseline', bin: baseline, args: [], what: `${baseline} (defaults)` },
  { name: 'noindex', bin, args: ['-sqlite-id-index=false'], what: 'this launcher, -sqlite-id-index=false' },
  { name: 'default', bin, args: [], what: 'this launcher, defaults (synchronous FULL)' },
  {
    name: 'normal',
    bin,
    args: ['-sqlite-synchronous', 'normal'],
    what: 'this launcher, -sqlite-synchronous normal',
  },
].filter((c) => c && (!only || only.includes(c.name)));

async function timed(fn) {
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  let n = 0;
  while (n < ops && Date.now() < deadline) await fn(n++);
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  return { n, rate: Math.round(n / s) };
}

async function run(config) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sladesk-ferretdb-bench-'));
  const port = await infra.freePort();
  const child = spawn(config.bin, ['-listen', `127.0.0.1:${port}`, '-sqlite-dir', dataDir, ...config.args], {
    stdio: 'ignore', // FerretDB logs a warning per unknown command (endSessions) at close
  });
  const exited = new Promise((r) => child.once('exit', r));
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/bench`, { serverSelectionTimeoutMS: 30_000 });
  try {
    await client.connect();
    const db = client.db('bench');
    const inserts = db.collection('inserts');
    const insert = await timed((i) =>
      inserts.insertOne({ _id: `i${i}`, seq: 0, status: 'open', title: `case ${i}` }),
    );

    const coll = db.collection('cases');
    for (let i = 0; i < docs; i += 1000) {
      const batch = [];
      for (let j = i; j < Math.min(docs, i + 1000); j++)
        batch.push({ _id: `c${j}`, seq: 0, status: 'open', title: `case ${j}` });
      await coll.insertMany(batch);
    }
    const ids = Array.from({ length: ops }, () => `c${Math.floor(Math.random() * docs)}`);
    const update = await timed((i) => coll.updateOne({ _id: ids[i] }, { $inc: { n: 1 } }));
    const seqs = new Map();
    const updateSeq = await timed(async (i) => {
      const seq = seqs.get(ids[i]) ?? 0;
      const r = await coll.updateOne({ _id: ids[i], seq }, { $set: { seq: seq + 1 } });
      if (r.matchedCount !== 1)
        throw new Error(`optimistic update of ${ids[i]} at seq ${seq} matched ${r.matchedCount}`);
      seqs.set(ids[i], seq + 1);
    });
    const plan = await db.command({ explain: { find: 'cases', filter: { _id: 'c1', seq: 0 } } });
    return { insert, update, updateSeq, plan: plan.queryPlanner?.Plan?.join(' | ') };
  } finally {
    await client.close();
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = [];
for (const c of configs) {
  const r = await run(c);
  results.push({ config: c.name, ...r });
  console.error(`${c.name}: ${JSON.stringify(r)}`);
}
const cell = (p) => `${p.rate}/s${p.n < ops ? ` (${p.n} ops in ${seconds} s)` : ''}`;
console.log(`\n${ops} sequential operations per phase, updates on a ${docs}-document collection\n`);
console.log(
  '| configuration | insertOne | updateOne {_id} | updateOne {_id, seq} | plan of find {_id, seq} |',
);
console.log('|---|---|---|---|---|');
for (const r of results) {
  const c = configs.find((x) => x.name === r.config);
  console.log(`| ${c.what} | ${cell(r.insert)} | ${cell(r.update)} | ${cell(r.updateSeq)} | ${r.plan} |`);
}
