import { AvailabilityRpc, EscalationEvents, Rpc } from '@sladesk/contracts';
import { createServer as createHttpServer, Server } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer } from 'node:net';
import { availabilityStack } from './availability-stack';

/**
 * A local HTTP server and a local TCP listener stand in for a component: checked every second, two
 * failures in a row open the component's incident (through escalation), two successes restore it, with
 * the times of the evidence.
 */
describe('probes', () => {
  let s: Awaited<ReturnType<typeof availabilityStack>>;
  let healthy = true;
  let http: Server;
  let tcp: TcpServer;
  let tcpPort = 0;
  const listenTcp = () => new Promise<void>((resolve) => (tcp = createTcpServer((c) => c.end()).listen(tcpPort, '127.0.0.1', () => resolve())));

  beforeAll(async () => {
    http = createHttpServer((_req, res) => res.writeHead(healthy ? 200 : 503).end(healthy ? 'ok' : 'down'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    await listenTcp();
    tcpPort = (tcp.address() as AddressInfo).port;
    // one instance: nothing takes the lease over, so a lease longer than the default test's 2 s costs
    // nothing here and keeps a loaded full run (database writes of a second or more) from letting it lapse
    s = await availabilityStack('avail_probe', { slaEnv: { SLADESK_AVAILABILITY_PROBE_LEASE_MS: '15000' } });
  });
  afterAll(async () => {
    await s?.cleanup();
    http?.close();
    tcp?.close();
  });

  it('opens the incident after two failures and restores it after two successes, by itself', async () => {
    const probe = { interval: 'PT1S', timeout: 'PT1S', failuresToOpen: 2, successesToRestore: 2 };
    await s.component({
      id: 'web',
      name: 'Web front end',
      kind: 'web',
      objectives: [{ id: 'monthly', kind: 'availability', targetPercent: 99.9 }],
      probes: [{ id: 'home', kind: 'http', url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/health`, ...probe }],
    });
    await s.component({
      id: 'db-port',
      name: 'Database port',
      kind: 'database',
      objectives: [{ id: 'monthly', kind: 'availability', targetPercent: 99.9 }],
      probes: [{ id: 'port', kind: 'tcp', host: '127.0.0.1', port: tcpPort, ...probe }],
    });
    const from = new Date(Date.now() - 60_000).toISOString();
    const results = async (id: string) => (await s.bus.request(AvailabilityRpc.ProbeResults, { id, from })).items;
    for (const id of ['web', 'db-port']) await s.until(async () => (await results(id)).some((r) => r.ok), `a successful check of ${id}`, 60_000);

    healthy = false;
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const opened = (c: string) => s.of(EscalationEvents.IncidentOpened).find((e) => e.env.payload.components?.includes(c));
    await s.until(() => opened('web') && opened('db-port'), 'both incidents opened by the probes', 60_000);

    healthy = true;
    await listenTcp();
    const restored = (c: string) => s.of(EscalationEvents.IncidentRestored).find((e) => e.env.payload.components?.includes(c));
    await s.until(() => restored('web') && restored('db-port'), 'both incidents restored by the probes', 60_000);
    await s.settled();

    for (const [componentId, probeId] of [
      ['web', 'home'],
      ['db-port', 'port'],
    ]) {
      const incident = await s.bus.request(Rpc.IncidentGet, { id: opened(componentId)!.env.payload.incidentId });
      const evidence = await results(componentId);
      // impact from the first failure, identified at the second, restored at the first success after them
      const firstFailure = evidence.findIndex((r) => !r.ok);
      expect(evidence[firstFailure + 1].ok).toBe(false);
      const firstSuccess = evidence.findIndex((r, i) => i > firstFailure && r.ok);
      expect(incident).toMatchObject({
        state: 'restored',
        components: [componentId],
        impact: 'outage',
        impactStart: evidence[firstFailure].at,
        identifiedAt: evidence[firstFailure + 1].at,
        restoredAt: evidence[firstSuccess].at,
        openedBy: { kind: 'probe', id: `${componentId}:${probeId}` },
        restoredBy: { kind: 'probe', id: `${componentId}:${probeId}` },
      });
      expect(evidence.slice(firstFailure, firstSuccess).every((r) => !r.ok)).toBe(true);
      // one incident per outage, and the month counts exactly its downtime
      expect(s.of(EscalationEvents.IncidentOpened).filter((e) => e.env.payload.components?.includes(componentId))).toHaveLength(1);
      const month = incident.impactStart.slice(0, 7);
      const report = await s.report({ month, componentId });
      const downtimeMs = Date.parse(incident.restoredAt!) - Date.parse(incident.impactStart);
      expect(report.components[0].objectives[0].downtimeMinutes).toBe(Math.round((downtimeMs / 60_000) * 10_000) / 10_000);
      expect(report.components[0].incidents.map((i) => i.incidentId)).toEqual([incident.id]);
      const view = await s.bus.request(AvailabilityRpc.ComponentGet, { id: componentId });
      expect(view.probes[0].state).toMatchObject({ lastOk: true });
      expect(view.probes[0].state?.incidentId).toBeUndefined();
    }
  }, 240_000);
});
