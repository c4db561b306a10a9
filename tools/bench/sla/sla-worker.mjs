// Child process: the sla service's durable timer wheel (the production classes from dist/) firing
// timers already stored in MongoDB; prints lateness percentiles and peak RSS as JSON when all fired.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { makeHandlerSink, peakRssMb, percentiles } from './common.mjs';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..', '..', '..');
const mongoose = require('mongoose');
const { TimerStore } = require(join(root, 'dist/apps/sla/src/timers/timer-store.js'));
const { TimerWheel } = require(join(root, 'dist/apps/sla/src/timers/timer-wheel.js'));

const count = Number(process.env.COUNT);
const deadline = Date.now() + Number(process.env.MAX_MS);
const lateness = new Float64Array(count);
// which timers fired already (ids are bench<n>.…): a bitmap, so the bench adds ~0 to the worker's memory
const seen = new Uint8Array(count);
let fired = 0;
let duplicates = 0;
let firstFire = 0;
let lastFire = 0;

const conn = await mongoose.createConnection(process.env.MONGO_URL).asPromise();
const sink = await makeHandlerSink(process.env.NATS_URL, process.env.HANDLER);
const store = new TimerStore(conn.db, Number(process.env.SLOT_MS));
const wheel = new TimerWheel(
  store,
  async (t) => {
    const late = Date.now() - t.due;
    await sink.publish('sladesk.bench.sla', `${t.id}:${t.v}`);
    const n = Number(t.id.slice(5, t.id.indexOf('.')));
    if (seen[n]) {
      duplicates++;
      return;
    }
    seen[n] = 1;
    if (fired < count) lateness[fired] = late;
    fired++;
    lastFire = Date.now();
    if (!firstFire) firstFire = lastFire;
  },
  {
    owner: `bench-${process.pid}`,
    horizonMs: Number(process.env.HORIZON_MS),
    leaseMs: 5000,
    pollMs: 500,
    concurrency: Number(process.env.CONCURRENCY),
    maxLoaded: Number(process.env.MAX_LOADED ?? 100_000),
    maxAttempts: 5,
    retentionMs: 0,
  },
);
const startedAt = Date.now();
await wheel.start(true);
if (process.env.DEBUG) setInterval(() => console.error(`[sla-worker] fired ${fired} ${JSON.stringify(wheel.stats)} ${JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)])))}`), 5000).unref();
while (fired < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
await wheel.stop();
await sink.close();
await conn.close();
console.log(JSON.stringify({ fired, duplicates, startedAt, firstFire, lastFire, ...percentiles(lateness, Math.min(fired, count)), peakRssMb: peakRssMb() }));
process.exit(0);
