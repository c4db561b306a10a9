import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNatsServerBinary, ManagedProcess, startFerretdb, workspaceRoot } from './infra';

declare global {
  var __SLADESK_FERRETDB__: ManagedProcess | undefined;
}

/**
 * Before a project's tests: build dist/ (tests spawn real service processes from it) and, unless
 * MONGO_URL points at a server already, start a FerretDB for this run.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.SLADESK_SKIP_BUILD) {
    execFileSync(process.execPath, [join(workspaceRoot(), 'tools', 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
  // Built once (and cached) here rather than inside the first test file's hook timeout.
  await ensureNatsServerBinary((line) => console.log(line));
  if (!process.env.MONGO_URL) {
    const server = await startFerretdb({ dataDir: mkdtempSync(join(tmpdir(), 'sladesk-ferretdb-')) });
    globalThis.__SLADESK_FERRETDB__ = server;
    process.env.MONGO_URL = `${server.url}/sladesk_test`;
  }
}
