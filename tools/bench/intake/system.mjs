// The system under test, started the way `npm start` does (tools/scripts/start.mjs): NATS with JetStream,
// FerretDB through the project's launcher (unless MONGO_URL), a mail sink for escalation's notifications,
// then the six services; ready once GET /health answers 200.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
export const root = join(import.meta.dirname, '..', '..', '..');
export const SERVICES = ['intake', 'sla', 'escalation', 'maintenance', 'reporting', 'gateway'];
export const log = (line) => console.error(`[bench] ${new Date().toISOString().slice(11, 19)} ${line}`);

/**
 * The benchmark compiles the workspace like tools/scripts/build.mjs (same SWC config) but into its own
 * folder, tools/bench/intake/.build: `build.mjs` deletes and rewrites dist/, and a build started by
 * someone else during a run would pull the services' files away from under them.
 */
export const out = join(import.meta.dirname, '.build');
// BENCH_REF=<commit> compiles that commit's apps/ and libs/ (from `git archive`) instead of the working tree.
export function build(ref = process.env.BENCH_REF) {
  const swc = require.resolve('@swc/cli/bin/swc.js', { paths: [root] });
  rmSync(out, { recursive: true, force: true });
  let src = root;
  if (ref) {
    src = mkdtempSync(join(tmpdir(), 'sladesk-bench-src-'));
    execFileSync('sh', ['-c', `git archive "$0" apps libs .swcrc | tar -x -C "$1"`, ref, src], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  try {
    execFileSync(
      process.execPath,
      [
        swc,
        'apps',
        'libs',
        '-d',
        out,
        '--config-file',
        '.swcrc',
        '--ignore',
        '**/*.spec.ts',
        '--ignore',
        '**/test/**',
        '-q',
      ],
      {
        cwd: src,
        stdio: 'inherit',
      },
    );
  } finally {
    if (ref) rmSync(src, { recursive: true, force: true });
  }
  return ref
    ? execFileSync('git', ['rev-parse', ref], { cwd: root, encoding: 'utf8' }).trim()
    : 'working tree';
}

export const infra = () => require(join(out, 'libs', 'testing', 'src', 'infra.js'));

/** Stops these server processes (not node) if the benchmark dies without stopping them (see orphan-guard.cjs). */
export function guard(...pids) {
  const g = spawn(process.execPath, [join(import.meta.dirname, 'orphan-guard.cjs'), ...pids.map(String)], {
    env: { ...process.env, SLADESK_BENCH_PARENT_PID: String(process.pid) },
    stdio: 'ignore',
  });
  g.unref();
  return g;
}

/** A mail relay that accepts and discards everything (counts what it got). */
export async function startMailSink() {
  const { SMTPServer } = require('smtp-server');
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('end', () => {
        received += 1;
        callback();
      });
      stream.resume();
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.server.address().port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    get received() {
      return received;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Runs a node script as a child process; keeps the last lines of its output for error messages, counts
 * its warning and error log lines (pino levels 40, 50, 60), and appends its output to `logFile` if given.
 */
export function node(name, file, env, { ready, logFile } = {}) {
  const child = spawn(process.execPath, ['--require', join(import.meta.dirname, 'orphan-guard.cjs'), file], {
    cwd: root,
    env: { ...process.env, ...env, SLADESK_BENCH_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let matched = false;
  let onReady;
  const readyPromise = ready
    ? new Promise((resolve, reject) => {
        onReady = resolve;
        child.once('exit', (code, signal) => {
          if (!matched) reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${tail}`));
        });
      })
    : Promise.resolve();
  const counts = { warn: 0, error: 0 };
  let lastProblem = '';
  const logStream = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  let partial = '';
  const onData = (b) => {
    const text = b.toString();
    logStream?.write(text);
    const lines = (partial + text).split('\n');
    partial = lines.pop().slice(-100_000);
    for (const line of lines) {
      const m = /"level":(40|50|60)\b/.exec(line);
      if (!m) continue;
      if (m[1] === '40') counts.warn += 1;
      else counts.error += 1;
      lastProblem = line.slice(0, 600);
    }
    tail = (tail + text).slice(-4000);
    if (ready && !matched && ready.test(tail)) {
      matched = true;
      onReady();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    name,
    child,
    ready: readyPromise,
    tail: () => tail,
    counts,
    lastProblem: () => lastProblem,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * The six services on one NATS and one database; resolves once the gateway's /health is 200 (every
 * service, NATS and MongoDB up). `stop()` stops them gracefully (consumers drain, outboxes flush).
 */
export async function startServices({
  natsUrl,
  mongoUrl,
  mailUrl,
  adminKey,
  httpPort,
  logLevel = 'warn',
  timeoutMs = 120_000,
  logDir,
}) {
  if (logDir) mkdirSync(logDir, { recursive: true });
  const { freePort } = infra();
  const env = {
    NATS_URL: natsUrl,
    MONGO_URL: mongoUrl,
    LOG_LEVEL: logLevel,
    SLADESK_ADMIN_API_KEY: adminKey,
    PORT: String(httpPort),
    HOST: '127.0.0.1',
    SLADESK_SMTP_PORT: String(await freePort()),
    SLADESK_SMTP_URL: mailUrl,
  };
  const procs = SERVICES.map((s) =>
    node(s, join(out, 'apps', s, 'src', 'main.js'), env, { logFile: logDir && join(logDir, `${s}.log`) }),
  );
  const stop = () => Promise.all(procs.map((p) => p.stop()));
  const gateway = `http://127.0.0.1:${httpPort}`;
  const started = Date.now();
  let last = '';
  for (;;) {
    const dead = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) {
      await stop();
      throw new Error(
        `${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) during start:\n${dead.tail()}`,
      );
    }
    try {
      const res = await fetch(`${gateway}/health`);
      if (res.ok) break;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() - started > timeoutMs) {
      await stop();
      throw new Error(
        `the system was not healthy within ${timeoutMs / 1000} s (last /health: ${last})\n${procs.map((p) => `--- ${p.name}\n${p.tail().slice(-800)}`).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  /** Warnings and errors each service logged since it started. */
  const problems = () =>
    Object.fromEntries(
      procs.map((p) => [p.name, { ...p.counts, ...(p.lastProblem() ? { last: p.lastProblem() } : {}) }]),
    );
  return { gateway, procs, stop, problems, startSeconds: (Date.now() - started) / 1000 };
}
