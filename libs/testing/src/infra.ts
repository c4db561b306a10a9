/**
 * Local infrastructure for development and tests: a FerretDB (MongoDB-compatible) server built from
 * the Go module proxy through tools/ferretdb, and a NATS server with JetStream. Binaries that we
 * build are cached under ~/.cache/sladesk/<name>-<version>/ so a fresh clone reuses them.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const FERRETDB_VERSION = 'v1.24.2';
/**
 * The nats-server we build from the Go module proxy and cache (NATS_SERVER_BIN wins). At least 2.12.3:
 * Jepsen's 2025 analysis of 2.12.1 showed a crash losing acknowledged writes under the default fsync
 * interval; our servers run with `sync_interval: always` (see natsServerConfig).
 */
export const NATS_SERVER_VERSION = 'v2.15.3';
export const NATS_SERVER_MIN_VERSION = '2.12.3';
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

/**
 * Patches to FerretDB's own source, applied at build time without a copy of FerretDB in this
 * repository: the build copies the FerretDB module from Go's module cache into its cache folder,
 * patches the copy there and builds with `-modfile` (a generated go.mod that replaces FerretDB by that
 * copy). `go build -overlay` would be lighter but refuses to replace files beneath GOMODCACHE. Each
 * `find` must occur exactly `count` times; otherwise the build fails, so a FerretDB upgrade cannot
 * silently drop a patch.
 */
export const FERRETDB_PATCHES: ReadonlyArray<{
  file: string;
  why: string;
  find: string;
  replace: string;
  count: number;
  append?: string;
}> = [
  {
    file: 'internal/backends/sqlite/collection.go',
    // FerretDB's TODO (https://github.com/FerretDB/FerretDB/issues/3235, "that logic should exist in one
    // place") pushes `_id = ?` down to SQLite only when _id is the filter's sole key, so an
    // optimistic-concurrency update such as {_id, seq} scans the whole table. Every handler (find,
    // update, findAndModify, delete, count, distinct, aggregate) applies the whole filter again to the
    // documents the backend returns, so narrowing the query to the _id equality is safe with any
    // other keys. Query and Explain both carry the check, so explain shows the plan updates get.
    why: 'push the _id equality down whatever other keys the filter has',
    find: ['\tif params.Filter.Len() == 1 {', '\t\tv, _ := params.Filter.Get("_id")'].join('\n'),
    replace: [
      '\t// sladesk: _id pushdown whatever other keys the filter has (handlers re-apply the whole filter);',
      '\t// Get panics on a duplicated key, hence the check.',
      '\tif params.Filter.Len() > 0 && params.Filter.Has("_id") && !sladeskDuplicateKey(params.Filter) {',
      '\t\tv, _ := params.Filter.Get("_id")',
    ].join('\n'),
    count: 2, // Query and Explain
    append: [
      '',
      '// sladeskDuplicateKey reports whether a key occurs twice in d (added by the SLA Desk build).',
      'func sladeskDuplicateKey(d *types.Document) bool {',
      '\t_, dup := d.FindDuplicateKey()',
      '\treturn dup',
      '}',
      '',
    ].join('\n'),
  },
];

const launcherDir = (): string => join(workspaceRoot(), 'tools', 'ferretdb');

/**
 * Identifies the launcher's sources and FerretDB patches, so a changed launcher is rebuilt instead of
 * taken from the cache.
 */
function launcherRevision(): string {
  const dir = launcherDir();
  const hash = createHash('sha256');
  const files = readdirSync(dir)
    .filter((f) => f === 'go.mod' || f === 'go.sum' || f.endsWith('.go'))
    .sort();
  for (const f of files) hash.update(`${f}\0${readFileSync(join(dir, f), 'utf8')}\0`);
  hash.update(JSON.stringify(FERRETDB_PATCHES));
  return hash.digest('hex').slice(0, 12);
}

/** Applies FERRETDB_PATCHES to `source` (the text of `file`); throws when a patch no longer fits. */
export function patchFerretdbSource(file: string, source: string): string {
  let text = source;
  for (const p of FERRETDB_PATCHES.filter((x) => x.file === file)) {
    const found = text.split(p.find).length - 1;
    if (found !== p.count) {
      throw new Error(
        `FerretDB ${FERRETDB_VERSION} patch "${p.why}" expects its text ${p.count} time(s) in ${file}, found ${found}: ` +
          'FerretDB changed; update FERRETDB_PATCHES in libs/testing/src/infra.ts (or drop the patch if FerretDB fixed it).',
      );
    }
    text = text.split(p.find).join(p.replace) + (p.append ?? '');
  }
  return text;
}

/** Copies a folder (files writable, so the cache can be cleaned with `rm -r`). */
function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyTree(join(from, e.name), join(to, e.name));
    else if (e.isFile()) {
      copyFileSync(join(from, e.name), join(to, e.name));
      chmodSync(join(to, e.name), 0o644);
    }
  }
}

/**
 * Prepares the patched FerretDB in `workDir` (ferretdb-src/, the module's files with FERRETDB_PATCHES
 * applied) and a go.mod replacing FerretDB by it; returns that go.mod's path, for `go build -modfile`.
 */
async function writePatchedFerretdb(go: string, workDir: string): Promise<string> {
  const opts = { cwd: launcherDir(), env: process.env, maxBuffer: 16 * 1024 * 1024 };
  const { stdout } = await run(go, ['mod', 'download', '-json', 'github.com/FerretDB/FerretDB'], opts);
  const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!moduleDir) throw new Error(`go mod download gave no folder for FerretDB: ${stdout}`);
  const src = join(workDir, 'ferretdb-src');
  copyTree(moduleDir, src);
  for (const file of [...new Set(FERRETDB_PATCHES.map((p) => p.file))]) {
    writeFileSync(join(src, file), patchFerretdbSource(file, readFileSync(join(moduleDir, file), 'utf8')));
  }
  const modfile = join(workDir, 'build.mod');
  copyFileSync(join(launcherDir(), 'go.mod'), modfile);
  copyFileSync(join(launcherDir(), 'go.sum'), join(workDir, 'build.sum')); // -modfile reads x.sum beside x.mod
  await run(go, ['mod', 'edit', `-replace=github.com/FerretDB/FerretDB=${src}`, modfile], opts);
  return modfile;
}

/** Path of our FerretDB binary, built from tools/ferretdb on first use (about 2 minutes on 2 cores). */
export async function ensureFerretdbBinary(log: Log = () => undefined): Promise<string> {
  const dir = join(cacheDir(), `ferretdb-${FERRETDB_VERSION}-${launcherRevision()}`);
  const bin = join(dir, 'sladesk-ferretdb');
  if (existsSync(bin)) return bin;
  const go = requireGo('FerretDB');
  log(`building FerretDB ${FERRETDB_VERSION} into ${bin} (first time only, ~2 min)…`);
  const started = Date.now();
  // Each build works in its own folder (two test runs may build at once) and renames its binary into
  // place, so an interrupted build never leaves one behind; the folder is kept when the build fails.
  mkdirSync(dir, { recursive: true });
  const workDir = mkdtempSync(join(dir, 'build-'));
  const modfile = await writePatchedFerretdb(go, workDir);
  await run(go, ['build', `-modfile=${modfile}`, '-o', join(workDir, 'sladesk-ferretdb'), '.'], {
    cwd: launcherDir(),
    env: { ...process.env, CGO_ENABLED: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  renameSync(join(workDir, 'sladesk-ferretdb'), bin);
  rmSync(workDir, { recursive: true, force: true });
  log(`FerretDB built in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}

/**
 * The `nats-server` to run: NATS_SERVER_BIN, else NATS_SERVER_VERSION built once from the Go module proxy
 * into the cache (~1.5 min), else, only when that build fails, an installed `nats-server` (Debian's is
 * 2.9, older than NATS_SERVER_MIN_VERSION: a warning says so).
 */
export async function ensureNatsServerBinary(log: Log = () => undefined): Promise<string> {
  const explicit = process.env.NATS_SERVER_BIN;
  if (explicit) return explicit;
  const dir = join(cacheDir(), `nats-server-${NATS_SERVER_VERSION}`);
  const bin = join(dir, 'nats-server');
  if (existsSync(bin)) return bin;
  try {
    const go = requireGo('nats-server');
    log(`building nats-server ${NATS_SERVER_VERSION} into ${dir} (first time only, ~1.5 min)…`);
    const started = Date.now();
    // As for FerretDB: a build folder of its own, renamed into place, so two builds never collide.
    mkdirSync(dir, { recursive: true });
    const workDir = mkdtempSync(join(dir, 'build-'));
    await run(go, ['install', `github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}`], {
      cwd: workDir,
      env: { ...process.env, GOBIN: workDir, CGO_ENABLED: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
    renameSync(join(workDir, 'nats-server'), bin);
    rmSync(workDir, { recursive: true, force: true });
    log(`nats-server built in ${Math.round((Date.now() - started) / 1000)} s`);
    return bin;
  } catch (e) {
    const installed = which('nats-server');
    if (!installed) throw e;
    log(
      `could not build nats-server ${NATS_SERVER_VERSION} (${(e as Error).message.split('\n')[0]}); using ${installed} instead. ` +
        `Versions before ${NATS_SERVER_MIN_VERSION} may lose acknowledged JetStream writes on a crash.`,
    );
    return installed;
  }
}

const natsVersions = new Map<string, string>();
/** `2.15.3` for the binary at `bin` (asked once per binary). */
export async function natsServerVersion(bin: string): Promise<string> {
  let v = natsVersions.get(bin);
  if (!v) {
    const { stdout } = await run(bin, ['--version']);
    v = /v?(\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? '0.0.0';
    natsVersions.set(bin, v);
  }
  return v;
}

const versionAtLeast = (v: string, min: string): boolean => {
  const [a, b] = [v, min].map((s) => s.split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

export interface StartOptions {
  dataDir: string;
  /** Default: a free port. */
  port?: number;
  log?: Log;
  /** Forward the server's output to this stream (read by this process's event loop; default: discarded). */
  output?: NodeJS.WritableStream;
  /**
   * Append the server's output to this file, written by the server itself: unlike `output` it needs
   * nothing from this process, which may be blocked (a caller in spawnSync never reads a pipe, and a
   * server whose pipe is full stops at its next log line).
   */
  logFile?: string;
  /** Own process group: a Ctrl-C at the terminal reaches only the caller, who stops it in order. */
  detached?: boolean;
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
  const fd = opts.logFile ? openSync(opts.logFile, 'a') : undefined;
  const out = fd ?? (opts.output ? 'pipe' : 'ignore');
  const child = spawn(bin, args(port), { stdio: ['ignore', out, out], detached: opts.detached });
  if (fd !== undefined) closeSync(fd);
  if (opts.output && fd === undefined) {
    child.stdout?.pipe(opts.output);
    child.stderr?.pipe(opts.output);
  }
  await waitForPort('127.0.0.1', port, timeoutMs, child, what);
  return managed(child, url(port), port);
}

export interface FerretdbStartOptions extends StartOptions {
  /**
   * SQLite's `synchronous` pragma; default `SLADESK_SQLITE_SYNCHRONOUS`, else `normal`: in WAL mode (which
   * FerretDB uses) a commit survives a killed process, and only an OS crash or power loss can drop the
   * last ones since a checkpoint, as MongoDB's default journal interval can. `full` fsyncs every commit.
   */
  sqliteSynchronous?: 'full' | 'normal';
  /** false: no _id expression index (tools/ferretdb/idindex.go), only to reproduce FerretDB's own plans. */
  idIndex?: boolean;
}

/** The `synchronous` pragma a FerretDB started here uses (see FerretdbStartOptions). */
export function sqliteSynchronousOf(chosen?: 'full' | 'normal'): 'full' | 'normal' {
  if (chosen) return chosen;
  const env = process.env.SLADESK_SQLITE_SYNCHRONOUS?.trim().toLowerCase();
  if (!env) return 'normal';
  if (env === 'full' || env === 'normal') return env;
  throw new Error(`SLADESK_SQLITE_SYNCHRONOUS must be full or normal, got ${process.env.SLADESK_SQLITE_SYNCHRONOUS}`);
}

/** Starts FerretDB on the SQLite backend with its data in `dataDir`. */
export async function startFerretdb(opts: FerretdbStartOptions): Promise<ManagedProcess> {
  const bin = await ensureFerretdbBinary(opts.log);
  const extra = [
    '-sqlite-synchronous',
    sqliteSynchronousOf(opts.sqliteSynchronous),
    ...(opts.idIndex === false ? ['-sqlite-id-index=false'] : []),
    // Diagnosis: every interval, how many writes held the launcher's write lock and for how long, per collection.
    ...(process.env.SLADESK_FERRETDB_TRACE_WRITES ? ['-trace-writes', process.env.SLADESK_FERRETDB_TRACE_WRITES] : []),
  ];
  return startServer(
    'FerretDB',
    bin,
    (port) => ['-listen', `127.0.0.1:${port}`, '-sqlite-dir', opts.dataDir, ...extra],
    opts,
    (port) => `mongodb://127.0.0.1:${port}`,
    30_000,
  );
}

export interface NatsStartOptions extends StartOptions {
  /** `server_name` (needed in a cluster; default: nats-<port>). */
  serverName?: string;
  /** HTTP monitoring port (/varz, /healthz); default none. */
  httpPort?: number;
  /** Join a cluster: this node's route port and every node's route port (its own may be included). */
  cluster?: { name: string; port: number; routes: number[] };
}

/**
 * The configuration file of one server: loopback only, JetStream on disk in `storeDir`, fsync after every
 * write (`sync_interval: always`, which the CLI cannot set), optionally a cluster node. Servers before
 * 2.10 do not know sync_interval; they get none (ensureNatsServerBinary warned about them).
 */
export function natsServerConfig(o: {
  port: number;
  storeDir: string;
  serverName: string;
  httpPort?: number;
  cluster?: NatsStartOptions['cluster'];
  syncAlways?: boolean;
}): string {
  const lines = [
    '# Written by libs/testing/src/infra.ts (startNatsServer); regenerated at every start.',
    `listen: 127.0.0.1:${o.port}`,
    `server_name: ${JSON.stringify(o.serverName)}`,
    `jetstream {\n  store_dir: ${JSON.stringify(o.storeDir)}${o.syncAlways === false ? '' : '\n  sync_interval: always'}\n}`,
  ];
  if (o.httpPort) lines.push(`http: 127.0.0.1:${o.httpPort}`);
  if (o.cluster) {
    const routes = o.cluster.routes.filter((p) => p !== o.cluster!.port).map((p) => `nats-route://127.0.0.1:${p}`);
    lines.push(
      `cluster {\n  name: ${JSON.stringify(o.cluster.name)}\n  listen: 127.0.0.1:${o.cluster.port}\n  routes: [${routes.join(', ')}]\n}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts a NATS server with JetStream (file storage in `dataDir`, fsync always) from a configuration
 * file written into `dataDir`. Starting it again with the same `dataDir` and port resumes its streams.
 */
export async function startNatsServer(opts: NatsStartOptions): Promise<ManagedProcess> {
  const bin = await ensureNatsServerBinary(opts.log);
  const syncAlways = versionAtLeast(await natsServerVersion(bin), '2.10.0');
  const conf = join(opts.dataDir, 'nats-server.conf');
  return startServer(
    'nats-server',
    bin,
    (port) => {
      const text = natsServerConfig({
        port,
        storeDir: opts.dataDir,
        serverName: opts.serverName ?? `nats-${port}`,
        httpPort: opts.httpPort,
        cluster: opts.cluster,
        syncAlways,
      });
      writeFileSync(conf, text);
      return ['-c', conf];
    },
    opts,
    (port) => `nats://127.0.0.1:${port}`,
    15_000,
  );
}

export interface NatsClusterNode {
  name: string;
  port: number;
  clusterPort: number;
  httpPort: number;
  dataDir: string;
  url: string;
  /** The running process, undefined while the node is down. */
  process?: ManagedProcess;
}

export interface NatsCluster {
  /** Every node's client URL, comma-separated (what NATS_URL takes). */
  url: string;
  nodes: NatsClusterNode[];
  /** SIGKILLs node i. */
  kill(i: number): Promise<void>;
  /** Starts node i again (same ports and data), resolving once it is healthy. */
  start(i: number): Promise<void>;
  stop(): Promise<void>;
}

/** Resolves once the node's /healthz says JetStream is up and current (meta leader known, streams caught up). */
export async function waitForNatsHealthy(httpPort: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nats-server on monitoring port ${httpPort} not healthy within ${timeoutMs} ms: ${last}`);
}

/**
 * A JetStream cluster of `size` nodes (default 3) on loopback ports, each with its data in
 * `<dataDir>/<name>`; resolves once every node reports healthy. Streams get their replicas from
 * whoever creates them (SLADESK_STREAM_REPLICAS for the services).
 */
export async function startNatsCluster(opts: { dataDir: string; size?: number; name?: string; log?: Log; output?: NodeJS.WritableStream }): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const name = opts.name ?? 'sladesk';
  const nodes: NatsClusterNode[] = [];
  for (let i = 0; i < size; i++) {
    const [port, clusterPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const nodeName = `${name}-n${i + 1}`;
    nodes.push({ name: nodeName, port, clusterPort, httpPort, dataDir: join(opts.dataDir, nodeName), url: `nats://127.0.0.1:${port}` });
  }
  const routes = nodes.map((n) => n.clusterPort);
  const start = async (i: number) => {
    const n = nodes[i];
    n.process = await startNatsServer({
      dataDir: n.dataDir,
      port: n.port,
      serverName: n.name,
      httpPort: n.httpPort,
      cluster: { name, port: n.clusterPort, routes },
      log: opts.log,
      output: opts.output,
    });
  };
  const cluster: NatsCluster = {
    url: nodes.map((n) => n.url).join(','),
    nodes,
    async kill(i) {
      await nodes[i].process?.kill();
      nodes[i].process = undefined;
    },
    async start(i) {
      await start(i);
      await waitForNatsHealthy(nodes[i].httpPort, 60_000);
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.process?.stop()));
      for (const n of nodes) n.process = undefined;
    },
  };
  try {
    await Promise.all(nodes.map((_, i) => start(i)));
    await Promise.all(nodes.map((n) => waitForNatsHealthy(n.httpPort, 60_000)));
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

/** Mailpit, the mail catcher `npm start` runs unless SLADESK_SMTP_URL is set (MAILPIT_BIN wins). */
export const MAILPIT_VERSION = 'v1.33.1';

/**
 * Mailpit's module holds its web UI as sources only (its releases bundle them with npm first), so the
 * build bundles them too. Its lock names packages the npm registry here does not serve, so the bundle
 * is installed from its package.json instead, with these ranges replaced and without the lint and test
 * tools. rapidoc (the UI's API reference page) 12 is not served; 9.3.8 is its newest here.
 */
const MAILPIT_UI_PINS: Record<string, string> = { rapidoc: '9.3.8' };
const MAILPIT_UI_BUILD_TOOLS = [
  'esbuild',
  'esbuild-plugin-vue-next',
  'esbuild-sass-plugin',
  '@vue/compiler-sfc',
];

/** Bundles Mailpit's web UI into server/ui/dist of the module copy in `src` (npm install + esbuild). */
async function bundleMailpitUi(src: string): Promise<void> {
  const npm = which('npm');
  if (!npm) throw new Error('no `npm` command');
  const pkgFile = join(src, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  pkg.devDependencies = Object.fromEntries(
    Object.entries(pkg.devDependencies).filter(([name]) => MAILPIT_UI_BUILD_TOOLS.includes(name)),
  );
  for (const [name, version] of Object.entries(MAILPIT_UI_PINS))
    if (pkg.dependencies[name]) pkg.dependencies[name] = version;
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  rmSync(join(src, 'package-lock.json'), { force: true });
  // Not the npm settings of an `npm start` around us (workspaces, scripts), only the user's own config.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const opts = { cwd: src, env, maxBuffer: 64 * 1024 * 1024 };
  await run(
    npm,
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--loglevel=error'],
    opts,
  );
  await run(process.execPath, ['esbuild.config.mjs'], { ...opts, env: { ...env, MINIFY: 'true' } });
  if (!existsSync(join(src, 'server', 'ui', 'dist', 'app.js')))
    throw new Error('esbuild wrote no server/ui/dist/app.js');
}

/**
 * Path of a Mailpit binary: MAILPIT_BIN, an installed `mailpit`, else MAILPIT_VERSION built once from
 * the Go module proxy into the cache (about 3 minutes on 2 cores: npm install and esbuild for the web
 * UI, then go build). Without npm or when the UI cannot be bundled, the binary is built without it: SMTP
 * and the API work, the page at :8025 stays blank (delete the cache folder to try again).
 */
export async function ensureMailpitBinary(log: Log = () => undefined): Promise<string> {
  const explicit = process.env.MAILPIT_BIN;
  if (explicit) return explicit;
  const installed = which('mailpit');
  if (installed) return installed;
  const dir = join(cacheDir(), `mailpit-${MAILPIT_VERSION}`);
  const bin = join(dir, 'mailpit');
  if (existsSync(bin)) return bin;
  const go = requireGo('Mailpit');
  log(`building Mailpit ${MAILPIT_VERSION} into ${dir} (first time only, ~3 min)…`);
  const started = Date.now();
  // As for FerretDB: a build folder of its own, renamed into place, so two builds never collide.
  mkdirSync(dir, { recursive: true });
  const workDir = mkdtempSync(join(dir, 'build-'));
  const { stdout } = await run(
    go,
    ['mod', 'download', '-json', `github.com/axllent/mailpit@${MAILPIT_VERSION}`],
    {
      cwd: workDir,
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!moduleDir) throw new Error(`go mod download gave no folder for Mailpit: ${stdout}`);
  const src = join(workDir, 'mailpit-src');
  copyTree(moduleDir, src);
  try {
    await bundleMailpitUi(src);
  } catch (e) {
    log(
      `Mailpit's web UI could not be bundled (${(e as Error).message.split('\n')[0]}); building it without: SMTP and the API work, the page stays blank`,
    );
  }
  await run(
    go,
    [
      'build',
      '-trimpath',
      '-ldflags',
      `-X github.com/axllent/mailpit/config.Version=${MAILPIT_VERSION}`,
      '-o',
      join(workDir, 'mailpit'),
      '.',
    ],
    {
      cwd: src,
      env: { ...process.env, CGO_ENABLED: '0' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  renameSync(join(workDir, 'mailpit'), bin);
  rmSync(workDir, { recursive: true, force: true });
  log(`Mailpit built in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}

export interface MailpitStartOptions extends StartOptions {
  /** The SMTP port (default: a free one); `port` is the web UI and API's. */
  smtpPort?: number;
}

export interface MailpitProcess extends ManagedProcess {
  /** What SLADESK_SMTP_URL takes: smtp://127.0.0.1:<smtpPort>. `url` is the web UI (API under /api/v1). */
  smtpUrl: string;
  smtpPort: number;
}

/**
 * Starts Mailpit: it accepts every message on its SMTP port (any credentials, no TLS) and shows them
 * in its web UI and API on `port`; messages are kept in `<dataDir>/mailpit.db`.
 */
export async function startMailpit(opts: MailpitStartOptions): Promise<MailpitProcess> {
  const bin = await ensureMailpitBinary(opts.log);
  const smtpPort = opts.smtpPort ?? (await freePort());
  const server = await startServer(
    'Mailpit',
    bin,
    (port) => [
      '--listen',
      `127.0.0.1:${port}`,
      '--smtp',
      `127.0.0.1:${smtpPort}`,
      '--database',
      join(opts.dataDir, 'mailpit.db'),
      '--smtp-auth-accept-any',
      '--smtp-auth-allow-insecure',
      '--smtp-disable-rdns',
      '--disable-version-check',
      '--quiet',
    ],
    opts,
    (port) => `http://127.0.0.1:${port}`,
    30_000,
  );
  await waitForPort('127.0.0.1', smtpPort, 10_000, server.child, 'Mailpit SMTP');
  return { ...server, smtpUrl: `smtp://127.0.0.1:${smtpPort}`, smtpPort };
}
