import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureNatsServerBinary, workspaceRoot } from './infra';
import { resolveTestInfra, startTestDatabase, TestDatabaseServer } from './test-infra';

declare global {
  var __SLADESK_FERRETDB__: TestDatabaseServer | undefined;
}

/**
 * Before a project's tests: build dist/ (tests spawn real service processes from it) and, unless
 * MONGO_URL points at a server already, start a database server for this run (MongoDB 7 in a
 * container, or a local FerretDB).
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.SLADESK_SKIP_BUILD) {
    execFileSync(process.execPath, [join(workspaceRoot(), 'tools', 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
  // Built once (and cached) here rather than inside the first test file's hook timeout.
  await ensureNatsServerBinary((line) => console.log(line));
  // Containers or local servers (decided once per `npm test`, else here; see test-infra.ts).
  const kind = await resolveTestInfra((line) => console.log(line));
  if (!process.env.MONGO_URL) {
    const server = await startTestDatabase(kind);
    globalThis.__SLADESK_FERRETDB__ = server;
    process.env.MONGO_URL = server.url;
  }
}
