import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, startNatsServer, workspaceRoot } from './infra';
import { startNatsContainer, TEST_INFRA_KIND_ENV } from './test-infra';

/** A fresh database URL on the test server; the name contains `test`, as persistence demands. */
export function testMongoUrl(label: string): string {
  const base = process.env.MONGO_URL;
  if (!base) throw new Error('MONGO_URL is not set: run tests through `npm test` or jest with the testing globalSetup');
  const name = `sladesk_test_${label.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`;
  return base.replace(/^(mongodb(?:\+srv)?:\/\/[^/?]+)(\/[^?]*)?/, `$1/${name}`);
}

/**
 * A private NATS server for one test file: streams and durable consumers never collide across files.
 * With container infrastructure (test-infra.ts) it is a NATS 2.12 container; `child` is then absent and
 * `kill()` stops the container.
 */
export async function startTestNats(): Promise<ManagedProcess & { cleanup(): Promise<void> }> {
  if (process.env[TEST_INFRA_KIND_ENV] === 'containers') {
    const container = await startNatsContainer();
    return {
      url: container.url,
      port: Number(new URL(container.url).port),
      child: undefined as unknown as ManagedProcess['child'],
      stop: container.stop,
      kill: container.stop,
      cleanup: container.stop,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'sladesk-nats-'));
  const server = await startNatsServer({ dataDir: dir });
  return {
    ...server,
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a truthy value (returned) or the time is up (throws with `what`). */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export interface ServiceChild {
  child: ChildProcess;
  output(): string;
  /** Resolves once the service logged that it is ready. */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a built service (`dist/apps/<name>/src/main.js`) as its own process, as in production. */
export function spawnService(name: string, env: Record<string, string>): ServiceChild {
  const main = join(workspaceRoot(), 'dist', 'apps', name, 'src', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes(`${name} ready`)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`${name} exited (${code}) before ready:\n${out.slice(-3000)}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    output: () => out,
    ready,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A service that cannot stop gracefully (its database or NATS gone) is killed after a grace,
      // so a test's hook never waits for it forever.
      const grace = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(grace);
      }
    },
  };
}

const KILL_GRACE_MS = 10_000;
/** Every service process a test started and that has not exited: none outlives the test process. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export { ManagedProcess };
