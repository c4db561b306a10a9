import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureNatsServerBinary,
  freePort,
  NATS_SERVER_MIN_VERSION,
  natsServerVersion,
  startNatsServer,
} from '../src/infra';

const atLeast = (v: string, min: string) => {
  const [a, b] = [v, min].map((s) => s.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};

// The NATS server that npm start, the tests and the fault suite run: current (Jepsen 2025 found
// acknowledged writes lost by 2.12.1 on a crash with the default fsync interval) and fsyncing always.
describe('the nats-server we run', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'sladesk-nats-spec-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it(`is ${NATS_SERVER_MIN_VERSION} or newer, unless NATS_SERVER_BIN says otherwise`, async () => {
    const bin = await ensureNatsServerBinary();
    const version = await natsServerVersion(bin);
    if (!process.env.NATS_SERVER_BIN) expect(atLeast(version, NATS_SERVER_MIN_VERSION)).toBe(true);
  });

  it('runs JetStream from a config file with sync_interval: always, and says so on /varz', async () => {
    const dataDir = tmp();
    const httpPort = await freePort();
    const server = await startNatsServer({ dataDir, httpPort });
    try {
      expect(readFileSync(join(dataDir, 'nats-server.conf'), 'utf8')).toMatch(
        /jetstream\s*{[^}]*sync_interval:\s*always/,
      );
      const varz = (await (await fetch(`http://127.0.0.1:${httpPort}/varz`)).json()) as {
        version: string;
        jetstream: { config: { sync_always?: boolean; store_dir: string } };
      };
      expect(varz.jetstream.config.sync_always).toBe(true);
      expect(varz.jetstream.config.store_dir).toContain(dataDir);
    } finally {
      await server.stop();
    }
  });
});
