import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { workspaceRoot } from '../src/infra';

// As docker-compose.spec.ts: no Docker engine where CI runs, so the N-wide compose file is checked by
// reading it (the same layout runs on loopback ports in `npm run test:cluster`, docs/faults.md).
describe('docker-compose.scale.yml', () => {
  const root = workspaceRoot();
  const compose = parse(readFileSync(join(root, 'docker-compose.scale.yml'), 'utf8'), { merge: true });
  const apps = readdirSync(join(root, 'apps'));
  const services = compose.services as Record<string, Record<string, any>>;
  const nodes = ['nats1', 'nats2', 'nats3'];
  const members = ['mongo1', 'mongo2', 'mongo3'];

  it('runs two replicas of every app, each pointed at every NATS node and every replica-set member', () => {
    expect(apps.length).toBeGreaterThanOrEqual(6);
    for (const app of apps) {
      const svc = services[app];
      expect(svc).toBeDefined();
      expect(svc.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile', args: { APP: app } });
      expect(svc.deploy).toMatchObject({ replicas: 2 });
      expect(svc.environment.NATS_URL.split(',')).toEqual(nodes.map((n) => `nats://${n}:4222`));
      expect(svc.environment.MONGO_URL).toMatch(
        /^mongodb:\/\/mongo1:27017,mongo2:27017,mongo3:27017\/sladesk\?/,
      );
      expect(svc.environment.MONGO_URL).toMatch(/[?&]replicaSet=rs0(&|$)/);
      expect(svc.environment.SLADESK_STREAM_REPLICAS).toBe('3');
      for (const dep of ['mongo1', ...nodes]) expect(svc.depends_on).toHaveProperty(dep);
    }
    // Two gateways cannot share one host port.
    expect(services.gateway.ports).toEqual(['3000-3001:3000']);
  });

  it('writes with majority concern to a three-member MongoDB 7 replica set, initiated once it is up', () => {
    for (const app of apps) {
      expect(services[app].environment.NODE_ENV).toBe('production'); // writeConcern majority in connectionOptions
      expect(services[app].environment.MONGO_URL).toMatch(/[?&]w=majority(&|$)/);
    }
    for (const m of members) {
      expect(services[m].image).toBe('mongo:7');
      expect(services[m].command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
    }
    const init = services.mongo1.healthcheck.test.join(' ');
    for (const m of members) expect(init).toContain(`host: '${m}:27017'`);
    expect(init).toMatch(/PRIMARY/);
  });

  it('runs three NATS 2.12 nodes of one JetStream cluster, each syncing to disk always', () => {
    const conf = readFileSync(join(root, 'tools', 'nats', 'cluster.conf'), 'utf8');
    expect(conf).toMatch(/jetstream\s*{[^}]*sync_interval:\s*always/);
    expect(conf).toMatch(/server_name:\s*\$NATS_SERVER_NAME/);
    for (const n of nodes) {
      expect(services[n].image).toBe('nats:2.12');
      expect(services[n].command).toEqual(['-c', '/etc/nats/cluster.conf']);
      expect(services[n].environment).toEqual({ NATS_SERVER_NAME: n });
      expect(services[n].volumes).toContain('./tools/nats/cluster.conf:/etc/nats/cluster.conf:ro');
      expect(conf).toContain(`nats-route://${n}:6222`);
    }
    expect(new Set(nodes.map((n) => services[n].volumes[1])).size).toBe(3); // a store of its own each
  });
});
