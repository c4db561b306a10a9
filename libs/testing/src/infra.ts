/**
 * Local infrastructure for development and tests: a FerretDB (MongoDB-compatible) server built from
 * the Go module proxy through tools/ferretdb, and a NATS server with JetStream. Binaries that we
 * build are cached under ~/.cache/sladesk/<name>-<version>/ so a fresh clone reuses them.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const FERRETDB_VERSION = 'v1.24.2';
/** Built only when no `nats-server` is installed; 2.10 is the oldest line with every feature we use. */
export const NATS_SERVER_VERSION = 'v2.10.29';
export const cacheDir = (): string => process.env.SLADESK_CACHE_DIR ?? join(homedir(), '.cache', 'sladesk');

export type Log = (line: string) => void;

export interface ManagedProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGTERM, then wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** SIGKILL: the process dies at once, mid-work. */
  kill(): Promise<void>;
}

/** The workspace root (the folder with nx.json) above this file. */
export function workspaceRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'nx.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no nx.json above ${from}`);
    dir = up;
  }
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

async function waitForPort(host: string, port: number, timeoutMs: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening`);
    if (await portAnswers(host, port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${host}:${port} within ${timeoutMs} ms`);
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/local/sbin'])) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function managed(child: ChildProcess, url: string, port: number): ManagedProcess {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    url,
    port,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

function requireGo(what: string): string {
  const go = which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      `${what} must be built with Go 1.24+, and no \`go\` command was found. Install Go (https://go.dev/dl or \`apt-get install golang\`), or set MONGO_URL / NATS_URL to servers you run yourself.`,
    );
  }
  return go;
}

/** Identifies the launcher's sources, so a changed launcher is rebuilt instead of taken from the cache. */
function launcherRevision(): string {
  const dir = join(workspaceRoot(), 'tools', 'ferretdb');
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go', 'proxy.go']) hash.update(readFileSync(join(dir, f)));
  return hash.digest('hex').slice(0, 12);
}

/** Path of our FerretDB binary, built from tools/ferretdb on first use (about 2 minutes on 2 cores). */
export async function ensureFerretdbBinary(log: Log = () => undefined): Promise<string> {
  const bin = join(cacheDir(), `ferretdb-${FERRETDB_VERSION}-${launcherRevision()}`, 'sladesk-ferretdb');
  if (existsSync(bin)) return bin;
  const go = requireGo('FerretDB');
  mkdirSync(dirname(bin), { recursive: true });
  log(`building FerretDB ${FERRETDB_VERSION} into ${bin} (first time only, ~2 min)…`);
  const started = Date.now();
  await run(go, ['build', '-o', bin, '.'], {
    cwd: join(workspaceRoot(), 'tools', 'ferretdb'),
    env: { ...process.env, CGO_ENABLED: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  log(`FerretDB built in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}

/** A `nats-server`: the installed one, else one built from the Go module proxy into the cache. */
export async function ensureNatsServerBinary(log: Log = () => undefined): Promise<string> {
  const explicit = process.env.NATS_SERVER_BIN;
  if (explicit) return explicit;
  const installed = which('nats-server');
  if (installed) return installed;
  const dir = join(cacheDir(), `nats-server-${NATS_SERVER_VERSION}`);
  const bin = join(dir, 'nats-server');
  if (existsSync(bin)) return bin;
  const go = requireGo('nats-server');
  log(`building nats-server ${NATS_SERVER_VERSION} into ${dir} (first time only)…`);
  await run(go, ['install', `github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}`], {
    env: { ...process.env, GOBIN: dir, CGO_ENABLED: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return bin;
}

export interface StartOptions {
  dataDir: string;
  /** Default: a free port. */
  port?: number;
  log?: Log;
  /** Forward the server's output to this stream (default: discarded). */
  output?: NodeJS.WritableStream;
}

/** Runs a server binary on a port (a free one unless given) and resolves once it listens. */
async function startServer(
  what: string,
  bin: string,
  args: (port: number) => string[],
  opts: StartOptions,
  url: (port: number) => string,
  timeoutMs: number,
): Promise<ManagedProcess> {
  const port = opts.port ?? (await freePort());
  mkdirSync(opts.dataDir, { recursive: true });
  const child = spawn(bin, args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  if (opts.output) {
    child.stdout?.pipe(opts.output);
    child.stderr?.pipe(opts.output);
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  await waitForPort('127.0.0.1', port, timeoutMs, child, what);
  return managed(child, url(port), port);
}

/** Starts FerretDB on the SQLite backend with its data in `dataDir`. */
export async function startFerretdb(opts: StartOptions): Promise<ManagedProcess> {
  const bin = await ensureFerretdbBinary(opts.log);
  return startServer(
    'FerretDB',
    bin,
    (port) => ['-listen', `127.0.0.1:${port}`, '-sqlite-dir', opts.dataDir],
    opts,
    (port) => `mongodb://127.0.0.1:${port}`,
    30_000,
  );
}

/** Starts a NATS server with JetStream (file storage in `dataDir`). */
export async function startNatsServer(opts: StartOptions): Promise<ManagedProcess> {
  const bin = await ensureNatsServerBinary(opts.log);
  return startServer(
    'nats-server',
    bin,
    (port) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', opts.dataDir],
    opts,
    (port) => `nats://127.0.0.1:${port}`,
    15_000,
  );
}
