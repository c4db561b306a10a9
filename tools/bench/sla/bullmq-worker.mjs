// Child process: a BullMQ worker processing delayed jobs already in Redis; same output as sla-worker.mjs.
import { Worker } from 'bullmq';
import { makeHandlerSink, peakRssMb, percentiles } from './common.mjs';

const count = Number(process.env.COUNT);
const deadline = Date.now() + Number(process.env.MAX_MS);
const lateness = new Float64Array(count);
let fired = 0;
let firstFire = 0;
let lastFire = 0;
const sink = await makeHandlerSink(process.env.NATS_URL, process.env.HANDLER);
const startedAt = Date.now();
const worker = new Worker(
  process.env.QUEUE,
  async (job) => {
    const late = Date.now() - job.data.due;
    await sink.publish('sladesk.bench.bullmq', job.id);
    if (fired < count) lateness[fired] = late;
    fired++;
    lastFire = Date.now();
    if (!firstFire) firstFire = lastFire;
  },
  { connection: { host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) }, concurrency: Number(process.env.CONCURRENCY) },
);
while (fired < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
await worker.close();
await sink.close();
console.log(JSON.stringify({ fired, duplicates: 0, startedAt, firstFire, lastFire, ...percentiles(lateness, Math.min(fired, count)), peakRssMb: peakRssMb() }));
process.exit(0);
