// The baseline of tools/bench/maintenance/run.mjs, in its own process like the product's sender:
// nodemailer (pooled, BENCH_SMTP_CONNECTIONS) sends the messages of `messages.json` straight to the sink.
const nodemailer = require('nodemailer');
const [url, file, connections] = process.argv.slice(2);
const messages = JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
const transport = nodemailer.createTransport({ url, pool: true, maxConnections: Number(connections), maxMessages: Infinity });
const t0 = performance.now();
let failed = 0;
let firstError;
Promise.all(messages.map((m) => transport.sendMail(m).catch((e) => ((failed += 1), (firstError ??= String(e?.message ?? e)))))).then(() => {
  const seconds = (performance.now() - t0) / 1000;
  transport.close();
  process.stdout.write(JSON.stringify({ seconds, failed, firstError }));
});
