/**
 * Which servers the tests run against: real MongoDB 7 (a one-node replica set) and NATS 2.12 in
 * containers (testcontainers), or the local ones (FerretDB and nats-server, see infra.ts).
 *
 * SLADESK_TEST_INFRA=containers requires containers, `local` forbids them; unset, containers are used
 * when a container runtime (Docker, Podman…) answers, and otherwise one line says so and the local
 * servers run. MONGO_URL, when set, wins over both for the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log, ManagedProcess, startFerretdb } from './infra';

export type TestInfraKind = 'containers' | 'local';
export type TestInfraSetting = TestInfraKind | 'auto';

export const MONGO_IMAGE = 'mongo:7';
export const NATS_IMAGE = 'nats:2.12';
/** Where the choice is passed on to Jest's workers and to child processes (set by resolveTestInfra). */
export const TEST_INFRA_KIND_ENV = 'SLADESK_TEST_INFRA_KIND';

export interface TestInfraChoice {
  kind: TestInfraKind;
  /** One line for the test output: what was chosen and why. */
  line: string;
}

/** SLADESK_TEST_INFRA's value; anything but `containers`, `local`, `auto` or empty is refused. */
export function parseTestInfraSetting(value: string | undefined): TestInfraSetting {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'containers' || v === 'local') return v;
  throw new Error(`SLADESK_TEST_INFRA must be containers, local or auto (unset), not "${value}"`);
}

export interface RuntimeProbe {
  ok: boolean;
  /** The runtime's host when it answered, the reason when not. */
  detail: string;
}

/**
 * Decides where tests run. `probe` asks whether a container runtime answers; it is not called when the
 * setting is `local`.
 */
export async function chooseTestInfra(setting: string | undefined, probe: () => Promise<RuntimeProbe>): Promise<TestInfraChoice> {
  const wanted = parseTestInfraSetting(setting);
  if (wanted === 'local') return { kind: 'local', line: 'test infrastructure: local FerretDB and nats-server (SLADESK_TEST_INFRA=local)' };
  const runtime = await probe();
  if (runtime.ok) {
    return {
      kind: 'containers',
      line: `test infrastructure: ${MONGO_IMAGE} (replica set) and ${NATS_IMAGE} in containers on ${runtime.detail}${wanted === 'containers' ? ' (SLADESK_TEST_INFRA=containers)' : ''}`,
    };
  }
  if (wanted === 'containers') {
    throw new Error(`SLADESK_TEST_INFRA=containers, but no container runtime answers: ${runtime.detail}`);
  }
  return { kind: 'local', line: `test infrastructure: no container runtime answered (${runtime.detail}); using local FerretDB and nats-server` };
}

/** Asks testcontainers for a container runtime; without one it gives up within about a second. */
export async function probeContainerRuntime(timeoutMs = 10_000): Promise<RuntimeProbe> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, detail: client.info.containerRuntime.host };
  } catch (e) {
    return { ok: false, detail: (e as Error).message.split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The choice for this process and its children: taken from TEST_INFRA_KIND_ENV when an outer runner
 * made it already (npm test decides once for every project), else made now, printed and recorded there.
 */
export async function resolveTestInfra(log: Log = console.log, probe: () => Promise<RuntimeProbe> = probeContainerRuntime): Promise<TestInfraKind> {
  const decided = process.env[TEST_INFRA_KIND_ENV];
  if (decided === 'containers' || decided === 'local') return decided;
  const choice = await chooseTestInfra(process.env.SLADESK_TEST_INFRA, probe);
  log(choice.line);
  process.env[TEST_INFRA_KIND_ENV] = choice.kind;
  return choice.kind;
}

export interface TestDatabaseServer {
  kind: TestInfraKind;
  /** With the database name `sladesk_test`; tests derive their own from it (testMongoUrl). */
  url: string;
  /** Where the local server's own log goes (FerretDB and its proxy), for a failed run's report. */
  logFile?: string;
  stop(): Promise<void>;
}

/** The database server of a test run: MongoDB 7 in a container, or a local FerretDB. */
export async function startTestDatabase(kind: TestInfraKind, log: Log = console.log): Promise<TestDatabaseServer> {
  if (kind === 'containers') {
    const { MongoDBContainer } = await import('@testcontainers/mongodb');
    const mongo = await new MongoDBContainer(MONGO_IMAGE).start();
    // The replica set names its member by the container's own host name: connect to it directly.
    return { kind, url: `${mongo.getConnectionString()}/sladesk_test?directConnection=true`, stop: async () => void (await mongo.stop()) };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'sladesk-ferretdb-'));
  const logFile = `${dataDir}.log`;
  const server: ManagedProcess = await startFerretdb({ dataDir, log, logFile });
  return {
    kind,
    url: `${server.url}/sladesk_test`,
    logFile,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A NATS 2.12 server with JetStream in a container (what startTestNats runs when the choice is containers). */
export async function startNatsContainer(): Promise<{ url: string; stop(): Promise<void> }> {
  const { NatsContainer } = await import('@testcontainers/nats');
  const nats = await new NatsContainer(NATS_IMAGE).withJetStream().start();
  return { url: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`, stop: async () => void (await nats.stop()) };
}
