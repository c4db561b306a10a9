import { Events } from '@sladesk/contracts';
import { loadConfig } from '@sladesk/messaging';
import { startTestNats, testMongoUrl } from '@sladesk/testing';
import { GatewayEnv } from '../src/config';
import { Gateway, startGateway } from '../src/gateway';

const KEY = 'test-admin-key-0123456789';

/** The gateway alone (no maintenance process): the routes exist, are documented, and fail with codes. */
describe('maintenance routes in the gateway', () => {
  let gateway: Gateway;
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  beforeAll(async () => {
    nats = await startTestNats();
    gateway = await startGateway(
      loadConfig(GatewayEnv, { NATS_URL: nats.url, MONGO_URL: testMongoUrl('gw_maintenance'), PORT: '0', LOG_LEVEL: 'silent', SLADESK_ADMIN_API_KEY: KEY, SLADESK_RPC_TIMEOUT_MS: '500' }, {}),
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await nats?.cleanup();
  });

  it('documents every maintenance route and event', async () => {
    const doc: any = await (await fetch(`${gateway.url}/openapi.json`)).json();
    for (const path of [
      '/v1/maintenance-windows',
      '/v1/maintenance-windows/{id}',
      '/v1/maintenance-windows/{id}/reschedule',
      '/v1/maintenance-windows.ics',
      '/v1/advisories',
      '/v1/advisories/{id}/release',
      '/v1/accounts/{id}/notice-preferences',
      '/v1/notice-opt-out',
      '/v1/notices/{id}/deliveries',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(Object.keys(doc.paths['/v1/maintenance-windows.ics'].get.responses['200'].content)).toEqual(['text/calendar']);
    expect(doc.components.schemas.CreateWindowRequest.properties).toHaveProperty('recurrence');
    const asyncapi: any = await (await fetch(`${gateway.url}/asyncapi.json`)).json();
    const addresses = Object.values(asyncapi.channels).map((c: any) => c.address);
    for (const subject of [Events.MaintenanceScheduled, Events.MaintenanceCompleted, Events.MaintenanceReminder, Events.AdvisoryReleased, Events.DeliverySent, Events.DeliveryOutcomes])
      expect(addresses).toContain(subject);
  });

  it('wants an API key (but not on the signed links), validates before forwarding, and answers 503 without the service', async () => {
    expect((await fetch(`${gateway.url}/v1/advisories`)).status).toBe(401);
    const bad = await fetch(`${gateway.url}/v1/maintenance-windows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x', components: ['api'], impact: 'sometimes', plannedStart: 'tomorrow' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).code).toBe('VALIDATION.FAILED');
    const down = await fetch(`${gateway.url}/v1/notice-opt-out?token=abc.def`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as any).code).toBe('SERVICE.UNAVAILABLE');
  });
});
