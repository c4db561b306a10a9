import { AvailabilityEvents, AvailabilityRpc, ComponentMonthView, Events, MaintenanceEvents } from '@sladesk/contracts';
import { at, availabilityStack, MIN } from './availability-stack';

/**
 * The seeded default contract (network 100 %, datacenter 100 % counting servers' power/HVAC outages,
 * server hosts restored within 1 h, database 99.9 % excluding maintenance and resize migrations), fed
 * through the escalation service's incidents and the maintenance service's event; every figure below is
 * computed by hand in the comments. All months are in 2025, so they are final.
 */
describe('monthly availability of the default contract, computed by hand', () => {
  let s: Awaited<ReturnType<typeof availabilityStack>>;
  beforeAll(async () => {
    s = await availabilityStack('avail_hand');
  });
  afterAll(() => s?.cleanup());

  const objectiveOf = (v: ComponentMonthView | undefined, id = 'monthly-availability') => v?.objectives.find((o) => o.objectiveId === id);
  const componentIn = async (month: string, componentId: string, include?: 'incidents') =>
    (await s.report({ month, ...(include ? { include } : {}) })).components.find((c) => c.componentId === componentId);

  it('feeds the incidents, the maintenance window and the resize migration', async () => {
    // a component only one account uses, with its own credit table
    await s.component({
      id: 'eu-api',
      name: 'EU API',
      kind: 'api',
      accountIds: ['globex'],
      objectives: [{ id: 'monthly-availability', kind: 'availability', targetPercent: 99.5, availabilityCredits: [{ belowPercent: 99.5, creditBasisPoints: 500 }] }],
    });
    for (const id of ['acme', 'globex']) {
      await s.publish(Events.AccountCreated, { id, name: id, timeZone: 'UTC', contacts: [], emailDomains: [], version: 1, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z' });
    }
    const past = (components: string[], from: string, to: string, extra: Record<string, string> = {}) => s.past(components, from, to, extra);
    await past(['database'], '2025-01-31T23:30:00.000Z', '2025-02-01T00:45:00.000Z');
    await s.publish(MaintenanceEvents.MaintenanceCompleted, {
      windowId: 'db-upgrade',
      components: ['database'],
      impact: 'outage',
      plannedStart: '2025-03-10T02:00:00.000Z',
      plannedEnd: '2025-03-10T04:00:00.000Z',
      actualStart: '2025-03-10T02:00:00.000Z',
      actualEnd: '2025-03-10T04:00:00.000Z',
      at: '2025-03-10T04:00:00.000Z',
    });
    await past(['database'], '2025-03-10T03:00:00.000Z', '2025-03-10T05:00:00.000Z');
    await s.bus.request(AvailabilityRpc.ExclusionPut, {
      id: 'resize-1',
      kind: 'resize_migration',
      componentIds: ['database', 'network'],
      start: '2025-04-05T10:00:00.000Z',
      end: '2025-04-05T10:30:00.000Z',
      reason: 'db.large → db.xlarge',
    });
    await past(['database', 'network'], '2025-04-05T10:00:00.000Z', '2025-04-05T10:40:00.000Z');
    await past(['servers'], '2025-05-01T10:00:00.000Z', '2025-05-01T11:01:00.000Z'); // 61 min
    await past(['servers'], '2025-05-01T12:00:00.000Z', '2025-05-01T12:59:00.000Z'); // 59 min
    await past(['servers'], '2025-06-10T08:00:00.000Z', '2025-06-10T08:20:00.000Z', { cause: 'power' });
    await past(['servers'], '2025-06-10T09:00:00.000Z', '2025-06-10T09:10:00.000Z', { cause: 'software' });
    await past(['eu-api'], '2025-06-20T00:00:00.000Z', '2025-06-20T04:00:00.000Z');
    await s.until(() => s.of('sladesk.evt.incident.restored.v1').length === 8, 'every restoration published');
    await s.settled();
  });

  it('an incident across a month end counts 30 min in January and 45 min in February', async () => {
    const jan = objectiveOf(await componentIn('2025-01', 'database'))!;
    const feb = objectiveOf(await componentIn('2025-02', 'database'))!;
    // January 2025: 31 × 1440 = 44,640 min; budget 0.1 % = 44.64 min; 30 min → 99.932796 %, met
    expect(jan).toMatchObject({ periodMinutes: 44_640, excludedMinutes: 0, downtimeMinutes: 30, budgetMinutes: 44.64, met: true, creditBasisPoints: 0, final: true });
    expect(jan.availabilityPercent).toBeCloseTo((44_610 / 44_640) * 100, 5);
    // February 2025: 28 × 1440 = 40,320 min; budget 40.32 min; 45 min → 99.888393 % < 99.9 → 10 %
    expect(feb).toMatchObject({ periodMinutes: 40_320, downtimeMinutes: 45, budgetMinutes: 40.32, budgetLeftMinutes: -4.68, met: false, creditBasisPoints: 1000 });
    expect(feb.availabilityPercent).toBeCloseTo((40_275 / 40_320) * 100, 5);
  });

  it('downtime inside a completed maintenance window is excluded', async () => {
    const mar = objectiveOf(await componentIn('2025-03', 'database'))!;
    // 03:00–05:00 minus the window 02:00–04:00 → 60 min; counted period 44,640 − 120 = 44,520 min, budget 44.52
    expect(mar).toMatchObject({ excludedMinutes: 120, downtimeMinutes: 60, budgetMinutes: 44.52, met: false, creditBasisPoints: 1000 });
    expect(mar.availabilityPercent).toBeCloseTo((44_460 / 44_520) * 100, 5);
  });

  it('a resize migration is excluded for the database only', async () => {
    const db = objectiveOf(await componentIn('2025-04', 'database'))!;
    const net = objectiveOf(await componentIn('2025-04', 'network'))!;
    // April: 43,200 min. Database: 40 min outage, 30 of them in the resize → 10 min of 43,170 → 99.976836 %, met
    expect(db).toMatchObject({ excludedMinutes: 30, downtimeMinutes: 10, met: true, creditBasisPoints: 0 });
    expect(db.availabilityPercent).toBeCloseTo((43_160 / 43_170) * 100, 5);
    // Network (100 %, excludes maintenance only): all 40 min → 99.907407 %, missed → first tier 10 %
    expect(net).toMatchObject({ excludedMinutes: 0, downtimeMinutes: 40, met: false, creditBasisPoints: 1000 });
  });

  it('a host restored after 61 minutes misses the one-hour restoration, one after 59 does not', async () => {
    const servers = (await componentIn('2025-05', 'servers', 'incidents'))!;
    expect(objectiveOf(servers, 'restoration')).toMatchObject({ maxMinutes: 60, incidentsCounted: 2, late: 1, longestRestorationMinutes: 61, met: false, creditBasisPoints: 1000 });
    expect(servers.incidents.map((i) => [i.restorationMinutes, i.restoration?.[0].met, i.restoration?.[0].lateMinutes])).toEqual([
      [61, false, 1],
      [59, true, 0],
    ]);
    // recorded after the fact, the breach is published once the settling delay (1 s here) has passed, dated at the deadline
    const breaches = () => s.of(AvailabilityEvents.ObjectiveBreached).filter((e) => e.env.payload.componentId === 'servers');
    await s.until(() => breaches().length > 0, 'the restoration breach');
    await new Promise((r) => setTimeout(r, 1500));
    expect(breaches().map((e) => [e.env.payload.kind, e.env.payload.at])).toEqual([['restoration', '2025-05-01T11:00:00.000Z']]);
  });

  it('a server outage caused by power counts against the datacenter, one caused by software does not', async () => {
    const dc = objectiveOf(await componentIn('2025-06', 'datacenter', 'incidents'))!;
    // June: 43,200 min; 20 min of power → 99.953704 %, a 100 % objective missed → 10 %
    expect(dc).toMatchObject({ downtimeMinutes: 20, incidentsCounted: 1, met: false, creditBasisPoints: 1000 });
    const servers = objectiveOf(await componentIn('2025-06', 'servers'), 'restoration')!;
    expect(servers).toMatchObject({ incidentsCounted: 2, late: 0, met: true, creditBasisPoints: 0 });
  });

  it('credits per component and per account match the hand table', async () => {
    // component → credit (basis points), per month
    const table: Record<string, Record<string, number>> = {
      '2025-01': { network: 0, datacenter: 0, servers: 0, database: 0, 'eu-api': 0 },
      '2025-02': { network: 0, datacenter: 0, servers: 0, database: 1000, 'eu-api': 0 },
      '2025-03': { network: 0, datacenter: 0, servers: 0, database: 1000, 'eu-api': 0 },
      '2025-04': { network: 1000, datacenter: 0, servers: 0, database: 0, 'eu-api': 0 },
      '2025-05': { network: 0, datacenter: 0, servers: 1000, database: 0, 'eu-api': 0 },
      // eu-api: 240 min of 43,200 → 99.444 % < 99.5 → 5 %
      '2025-06': { network: 0, datacenter: 1000, servers: 0, database: 0, 'eu-api': 500 },
    };
    for (const [month, expected] of Object.entries(table)) {
      const r = await s.report({ month });
      expect(Object.fromEntries(r.components.map((c) => [c.componentId, c.creditBasisPoints]))).toEqual(expected);
    }
    const june = await s.report({ month: '2025-06' });
    expect(june.accounts).toEqual([
      { accountId: 'acme', credits: { datacenter: 1000 }, maxCreditBasisPoints: 1000, componentsUsed: 4 },
      { accountId: 'globex', credits: { datacenter: 1000, 'eu-api': 500 }, maxCreditBasisPoints: 1000, componentsUsed: 5 },
    ]);
    const globex = await s.report({ month: '2025-06', accountId: 'globex' });
    expect(globex.components.map((c) => c.componentId).sort()).toEqual(['database', 'datacenter', 'eu-api', 'network', 'servers']);
    expect(globex.accounts).toEqual([{ accountId: 'globex', credits: { datacenter: 1000, 'eu-api': 500 }, maxCreditBasisPoints: 1000, componentsUsed: 5 }]);
    expect((await s.report({ month: '2025-06', accountId: 'acme' })).components.map((c) => c.componentId)).not.toContain('eu-api');
    // the month's credit is published once the month is over
    await s.until(
      () => s.of(AvailabilityEvents.CreditComputed).find((e) => e.env.payload.componentId === 'database' && e.env.payload.month === '2025-02' && e.env.payload.creditBasisPoints === 1000),
      'credit-computed for the database in February',
    );
    // February's budget (40.32 min) ran out 40.32 min into the month, during the incident
    const feb = await s.until(() => {
      const found = s.of(AvailabilityEvents.ObjectiveBreached).filter((e) => e.env.payload.componentId === 'database' && e.env.payload.month === '2025-02');
      return found.length ? found : undefined;
    }, 'February breached');
    expect(feb.map((e) => e.env.payload.at)).toEqual([new Date(at('2025-02-01T00:00:00Z') + 40.32 * MIN).toISOString()]);
  });
});
