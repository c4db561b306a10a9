import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { workspaceRoot } from '../src/infra';

// There is no Docker engine where CI runs, so the compose file is checked by reading it.
describe('docker-compose.yml', () => {
  const root = workspaceRoot();
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
  const apps = readdirSync(join(root, 'apps'));

  it('runs every app, each built from the Dockerfile with its own APP', () => {
    expect(apps.length).toBe(6);
    for (const app of apps) {
      const svc = compose.services[app];
      expect(svc).toBeDefined();
      expect(svc.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile', args: { APP: app } });
      expect(svc.environment).toMatchObject({ MONGO_URL: expect.stringContaining('mongodb://mongo:27017/'), NATS_URL: 'nats://nats:4222' });
      expect(svc.depends_on).toHaveProperty('mongo');
      expect(svc.depends_on).toHaveProperty('nats');
    }
  });

  it('runs MongoDB 7 as a one-node replica set and NATS 2.12 with JetStream syncing always', () => {
    expect(compose.services.mongo.image).toBe('mongo:7');
    expect(compose.services.mongo.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
    expect(compose.services.nats.image).toBe('nats:2.12');
    const conf = readFileSync(join(root, 'tools', 'nats', 'nats.conf'), 'utf8');
    expect(conf).toMatch(/jetstream\s*{[^}]*sync_interval:\s*always/);
  });

  it('builds every app in the Dockerfile', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const app of apps) expect(dockerfile).toContain(`apps/${app}/package.json`);
    expect(dockerfile).toContain('dist/apps/${APP}/src/main.js');
  });
});
