import { waitFor } from '@sladesk/testing';
import { jsonOf, Stack, startStack } from './stack';

/** The availability API through the gateway (intake, escalation and sla as processes): what the README shows, and every refusal's code. */
describe('availability over HTTP', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('gw_avail', { escalation: true, sla: true });
  });
  afterAll(() => stack?.stop());

  const call = async (path: string, init: Parameters<Stack['http']>[1] = {}) => {
    const res = await stack.http(path, init);
    return { status: res.status, body: await jsonOf(res) };
  };

  it('lists the seeded contract: four components, each objective citing its clause', async () => {
    const { status, body } = await call('/v1/components');
    expect(status).toBe(200);
    expect(body.items.map((c: any) => [c.id, c.objectives.map((o: any) => [o.kind, o.targetPercent ?? o.maxDuration])])).toEqual([
      ['database', [['availability', 99.9]]],
      ['datacenter', [['availability', 100]]],
      ['network', [['availability', 100]]],
      ['servers', [['restoration', 'PT1H']]],
    ]);
    for (const c of body.items) expect(c.objectives[0].clause).toMatch(/Rackspace/);
    expect(body.items.find((c: any) => c.id === 'database').objectives[0].excludes).toEqual(['scheduled_maintenance', 'resize_migration']);
  });

  it('a component with an objective, an incident against it, a correction, an exclusion and the month', async () => {
    const component = {
      id: 'checkout',
      name: 'Checkout API',
      kind: 'api',
      objectives: [
        {
          id: 'monthly',
          kind: 'availability',
          targetPercent: 99.5,
          timeZone: 'America/New_York',
          excludes: ['scheduled_maintenance', 'data_migration'],
          availabilityCredits: [{ belowPercent: 99.5, creditBasisPoints: 1000 }],
        },
      ],
    };
    expect((await call('/v1/components', { json: component })).status).toBe(201);
    expect((await call('/v1/components', { json: component })).body.code).toBe('COMPONENT.ALREADY_EXISTS');
    const twice = await call('/v1/components', { json: { ...component, id: 'twice', objectives: [component.objectives[0], component.objectives[0]] } });
    expect([twice.status, twice.body.code]).toEqual([400, 'COMPONENT.INVALID']);
    expect((await call('/v1/components', { json: { ...component, id: 'over', objectives: [{ id: 'x', kind: 'availability', targetPercent: 101 }] } })).body.code).toBe('VALIDATION.FAILED');

    const incident = await call('/v1/incidents', {
      json: { title: 'Checkout 502s', severity: 'high', components: ['checkout'], impact: 'outage', cause: 'software', impactStart: '2025-03-10T14:00:00.000Z', identifiedAt: '2025-03-10T14:05:00.000Z', restoredAt: '2025-03-10T17:00:00.000Z' },
    });
    expect(incident.status).toBe(201);
    expect(incident.body).toMatchObject({ state: 'restored', components: ['checkout'], impact: 'outage', cause: 'software', revision: 1, openedBy: { kind: 'person' } });
    expect((await call('/v1/incidents', { json: { title: 'x', severity: 'high', components: ['nope'] } })).body.code).toBe('COMPONENT.NOT_FOUND');
    const wrongTimes = await call('/v1/incidents', { json: { title: 'x', severity: 'high', components: ['checkout'], impactStart: '2025-03-10T14:00:00.000Z', identifiedAt: '2025-03-10T13:00:00.000Z' } });
    expect([wrongTimes.status, wrongTimes.body.code]).toEqual([400, 'INCIDENT.INVALID_TIMES']);

    // restored at 17:00 was when the status page was updated; the service was back at 16:00
    const corrected = await call(`/v1/incidents/${incident.body.id}`, { method: 'PATCH', json: { reason: 'back at 16:00 per the load balancer logs', restoredAt: '2025-03-10T16:00:00.000Z' } });
    expect(corrected.status).toBe(200);
    expect(corrected.body).toMatchObject({ revision: 2, restoredAt: '2025-03-10T16:00:00.000Z', corrections: [{ changed: ['restoredAt'] }] });
    expect((await call(`/v1/incidents/${incident.body.id}`, { method: 'PATCH', json: { restoredAt: '2025-03-10T16:00:00.000Z' } })).body.code).toBe('VALIDATION.FAILED');

    const exclusion = await call('/v1/exclusions', { json: { id: 'mig-1', kind: 'data_migration', componentIds: ['checkout'], start: '2025-03-10T15:00:00.000Z', end: '2025-03-10T15:30:00.000Z' } });
    expect(exclusion.status).toBe(200);
    expect((await call('/v1/exclusions', { json: { kind: 'data_migration', componentIds: ['checkout'], start: '2025-03-10T15:00:00.000Z', end: '2025-03-10T14:00:00.000Z' } })).body.code).toBe('EXCLUSION.INVALID');
    expect((await call('/v1/exclusions/mig-1')).body).toMatchObject({ kind: 'data_migration', source: 'api' });

    // March 2025 in New York: from 05:00Z on the 1st to 04:00Z on April 1st (DST from the 9th) = 44,580 min;
    // 30 min excluded → 44,550; downtime 14:00–16:00 minus 15:00–15:30 = 90 min → 99.797980 % ≥ 99.5 → met
    const month = await waitFor(async () => {
      const r = await call('/v1/availability?month=2025-03&componentId=checkout');
      const o = r.body.components?.[0]?.objectives[0];
      return o?.downtimeMinutes === 90 && o.excludedMinutes === 30 ? r.body : undefined;
    }, 'the corrected month');
    expect(month.components[0].objectives[0]).toMatchObject({
      periodStart: '2025-03-01T05:00:00.000Z',
      periodEnd: '2025-04-01T04:00:00.000Z',
      periodMinutes: 44_580,
      excludedMinutes: 30,
      downtimeMinutes: 90,
      met: true,
      creditBasisPoints: 0,
      final: true,
    });
    expect(month.components[0].objectives[0].availabilityPercent).toBeCloseTo((44_460 / 44_550) * 100, 5);
    expect(month.components[0].incidents).toMatchObject([{ incidentId: incident.body.id, downtimeMinutes: 90, restorationMinutes: 85 }]);

    const view = await call('/v1/components/checkout');
    expect(view.body.errorBudget).toMatchObject([{ objectiveId: 'monthly', kind: 'availability', met: true }]);
  });

  it('refuses what it cannot answer with our codes', async () => {
    expect((await call('/v1/availability?month=2025-13')).body.code).toBe('VALIDATION.FAILED');
    expect((await call('/v1/availability')).body.code).toBe('VALIDATION.FAILED');
    expect((await call('/v1/availability?month=2025-03&componentId=nope')).body.code).toBe('COMPONENT.NOT_FOUND');
    expect((await call('/v1/components/nope')).body.code).toBe('COMPONENT.NOT_FOUND');
    expect((await call('/v1/exclusions/nope')).body.code).toBe('EXCLUSION.NOT_FOUND');
    expect((await call('/v1/incidents/01900000-0000-7000-8000-000000000000', { method: 'PATCH', json: { reason: 'x', cause: 'power' } })).body.code).toBe('INCIDENT.NOT_FOUND');
  });

  it('every escalation list refuses a cursor it did not hand out (400 PAGINATION.BAD_CURSOR)', async () => {
    for (const path of ['/v1/notifications', '/v1/incidents', '/v1/escalations']) {
      for (const cursor of ['garbage', '!!!', 'bm90LWEtY3Vyc29yfHg']) {
        const r = await call(`${path}?cursor=${encodeURIComponent(cursor)}`);
        expect([path, cursor, r.status, r.body.code]).toEqual([path, cursor, 400, 'PAGINATION.BAD_CURSOR']);
      }
    }
    // a cursor it did hand out still pages
    expect((await call('/v1/incidents', { json: { title: 'Another one', severity: 'low' } })).status).toBe(201);
    const first = await call('/v1/incidents?limit=1');
    const next = await call(`/v1/incidents?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(next.status).toBe(200);
  });
});
