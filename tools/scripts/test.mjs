#!/usr/bin/env node
// `npm test`: lint (with the module-boundary rule), typecheck, then every project's Jest suite against
// real servers. MONGO_URL wins; otherwise a database server is started for this run (MongoDB 7 in a
// container when a container runtime answers, else FerretDB; each test file also
// starts its own NATS server, so JetStream consumers never collide between files).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };
let testStatus = 0;
// Each step runs as a child while this process's event loop keeps going (never spawnSync: the servers
// started here must keep being served, e.g. their output).
const step = async (title, cmd, args, exitOnFailure = true, timeoutMs = undefined) => {
  const started = Date.now();
  console.log(`\n▶ ${title}`);
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env });
  let timedOut = false;
  const timer = timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs)
    : undefined;
  const status = await new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  clearTimeout(timer);
  if (timedOut) console.log(`✘ ${title} stopped after ${timeoutMs / 60_000} min (SLADESK_TEST_TIMEOUT_MIN)`);
  console.log(`${status === 0 ? '✔' : '✘'} ${title} (${Math.round((Date.now() - started) / 1000)} s)`);
  if (status !== 0 && exitOnFailure) process.exit(status);
  testStatus = status;
};

await step('build', process.execPath, [join(root, 'tools', 'scripts', 'build.mjs')]);
env.SLADESK_SKIP_BUILD = '1';
await step('lint', bin('nx'), ['run-many', '-t', 'lint', '--outputStyle=stream', '--skipNxCache']);
await step('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);

// Containers (MongoDB 7, NATS 2.12) when a container runtime answers or SLADESK_TEST_INFRA=containers,
// else the local servers: decided once here for every project (libs/testing/src/test-infra.ts).
const testInfra = createRequire(import.meta.url)(join(root, 'dist', 'libs', 'testing', 'src', 'test-infra.js'));
env[testInfra.TEST_INFRA_KIND_ENV] = await testInfra.resolveTestInfra(console.log);
let ferret;
if (!env.MONGO_URL) {
  ferret = await testInfra.startTestDatabase(env[testInfra.TEST_INFRA_KIND_ENV], console.log);
  env.MONGO_URL = ferret.url;
  console.log(`${ferret.kind === 'containers' ? 'MongoDB' : 'FerretDB'} for this run: ${env.MONGO_URL}`);
}
const resultsDir = join(root, 'tmp', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true }); // Jest does not create it
try {
  // A hung test must not use up CI's time: the whole step stops after SLADESK_TEST_TIMEOUT_MIN (40).
  const timeoutMin = Number(process.env.SLADESK_TEST_TIMEOUT_MIN || 40);
  await step('test', bin('nx'), ['run-many', '-t', 'test', '--outputStyle=stream', '--skipNxCache', '--parallel=1'], false, timeoutMin * 60_000);
} finally {
  await ferret?.stop();
}
if (testStatus !== 0 && ferret?.logFile && existsSync(ferret.logFile)) {
  const lines = readFileSync(ferret.logFile, 'utf8').trimEnd().split('\n');
  console.log(`\nthe database server's last ${Math.min(lines.length, 40)} log lines (${ferret.logFile}):\n${lines.slice(-40).join('\n')}`);
}

// One closing line over every project's Jest results.
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of existsSync(resultsDir) ? readdirSync(resultsDir) : []) {
  const r = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(testStatus === 0 && failed === 0 && passed > 0 ? 0 : 1);
