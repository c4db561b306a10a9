import { AvailabilityRpc } from '@sladesk/contracts';
import { ServiceChild } from '@sladesk/testing';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { availabilityStack } from './availability-stack';

/**
 * Two sla instances: only the holder of the probe lease checks (a PT1S probe is called about once a
 * second, not twice), and when it is SIGKILLed the other takes the lease over and carries on.
 */
describe('probes with two sla instances', () => {
  let s: Awaited<ReturnType<typeof availabilityStack>>;
  let http: Server;
  const hits: number[] = [];
  beforeAll(async () => {
    http = createServer((_req, res) => {
      hits.push(Date.now());
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    s = await availabilityStack('avail_probe_lease');
  });
  afterAll(async () => {
    await s?.cleanup();
    http?.close();
  });

  it('checks once per interval, and goes on after the holder dies', async () => {
    let second: ServiceChild | undefined;
    second = await s.anotherSla();
    await s.component({
      id: 'api',
      name: 'API',
      kind: 'api',
      objectives: [{ id: 'monthly', kind: 'availability', targetPercent: 99.9 }],
      probes: [{ id: 'ping', kind: 'http', url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`, interval: 'PT1S', timeout: 'PT1S' }],
    });
    await s.until(() => hits.length >= 2, 'the probe running');
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    const inWindow = hits.filter((t) => t >= from).length;
    // one instance at PT1S: about 6 checks in 6 s (two instances would make about 12)
    expect(inWindow).toBeGreaterThanOrEqual(4);
    expect(inWindow).toBeLessThanOrEqual(8);

    // kill whichever instance holds the lease: the survivor takes over (lease 2 s) and keeps checking
    const holder = (await Promise.all([s.sla, second].map(async (c) => ({ c, probing: c.output().includes('probing (lease') })))).find((x) => x.probing)!.c;
    const survivor = holder === s.sla ? second : s.sla;
    await holder.kill('SIGKILL');
    const killedAt = Date.now();
    await s.until(() => hits.some((t) => t > killedAt + 500) && survivor.output().includes('probing (lease'), 'the other instance probing', 20_000);
    const results = await s.bus.request(AvailabilityRpc.ProbeResults, { id: 'api', from: new Date(from).toISOString() });
    expect(results.items.length).toBeGreaterThanOrEqual(inWindow);
    expect(results.items.every((r) => r.ok)).toBe(true);
    if (holder !== s.sla) second = undefined;
    await second?.kill();
  });
});
