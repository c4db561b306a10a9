#!/usr/bin/env node
// Benchmark (on demand): the SMTP client under outbound's mail. The same N composed messages, sent by
// 32 callers to one local SMTP sink over 8 sessions, three ways in the same process, alternating, best
// of three each:
//   nodemailer pooled transport, message composed by nodemailer (what the fan-out benchmark's baseline does)
//   nodemailer pooled transport, the message handed over raw (what outbound did before SmtpPool)
//   @sladesk/outbound's SmtpPool (nodemailer's SMTPConnection sessions, lent out one message at a time)
//
//   npm run build && node tools/bench/maintenance/smtp-clients.mjs        (BENCH_MESSAGES, default 10000)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startMailSink } from '../intake/system.mjs';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..', '..', '..');
const nodemailer = require(require.resolve('nodemailer', { paths: [root] }));
const { SmtpPool } = require(join(root, 'dist/libs/outbound/src/smtp-pool.js'));

const N = Number(process.env.BENCH_MESSAGES ?? 10_000);
const SESSIONS = 8;
const CALLERS = 32;
// The intake benchmark's sink: accepts and discards every message, counting them.
const sink = await startMailSink();
const url = sink.url;

const text = 'Scheduled maintenance of the database cluster, Tuesday 02:00–04:00 in your time zone.\n'.repeat(12);
const mail = (i) => ({ from: 'notices@vendor.example', to: `u${i}@acme.example`, subject: `Maintenance notice ${i}`, text, messageId: `<n${i}@vendor.example>`, headers: { 'X-Sladesk-Delivery-Id': `d${i}` } });
const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
const raws = [];
for (let i = 0; i < N; i++) raws.push((await composer.sendMail(mail(i))).message);

async function drive(send) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (next < N) {
      const i = next++;
      await send(i);
    }
  }));
  return N / ((performance.now() - t0) / 1000);
}
const pooled = () => nodemailer.createTransport({ url, pool: true, maxConnections: SESSIONS, maxMessages: Infinity });
const ways = {
  'nodemailer pool, composing': async () => {
    const t = pooled();
    try { return await drive((i) => t.sendMail(mail(i))); } finally { t.close(); }
  },
  'nodemailer pool, raw message': async () => {
    const t = pooled();
    try { return await drive((i) => t.sendMail({ envelope: { from: 'notices@vendor.example', to: [`u${i}@acme.example`] }, raw: raws[i] })); } finally { t.close(); }
  },
  'SmtpPool, raw message': async () => {
    const p = new SmtpPool(url, SESSIONS);
    try { return await drive((i) => p.send({ from: 'notices@vendor.example', to: [`u${i}@acme.example`] }, raws[i])); } finally { p.close(); }
  },
};
const best = {};
for (let round = 1; round <= 3; round++) {
  for (const [name, run] of Object.entries(ways)) {
    const rate = await run();
    best[name] = Math.max(best[name] ?? 0, rate);
    console.error(`[bench] round ${round}: ${name} ${rate.toFixed(0)} msg/s`);
  }
}
if (sink.received !== 9 * N) throw new Error(`the sink received ${sink.received} messages, expected ${9 * N}`);
const peer = best['nodemailer pool, composing'];
console.log(`## SMTP clients: ${N} messages, ${SESSIONS} sessions, ${CALLERS} callers (best of 3)\n`);
console.log('| client | messages/s | ratio to nodemailer composing |\n|---|---:|---:|');
for (const [name, rate] of Object.entries(best)) console.log(`| ${name} | ${rate.toFixed(0)} | ${(rate / peer).toFixed(2)}× |`);
await sink.stop();
