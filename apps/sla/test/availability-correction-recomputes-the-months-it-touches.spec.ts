import { AvailabilityEvents, EscalationEvents, Rpc } from '@sladesk/contracts';
import { randomUUID } from 'node:crypto';
import { availabilityStack } from './availability-stack';

/** Corrections of past incidents (PATCH /v1/incidents/{id}) recompute the months they leave and enter; events in any order give one ledger. */
describe('corrections and order', () => {
  let s: Awaited<ReturnType<typeof availabilityStack>>;
  beforeAll(async () => {
    s = await availabilityStack('avail_correct');
  });
  afterAll(() => s?.cleanup());

  const objective = async (month: string, componentId: string) => (await s.report({ month, componentId })).components[0].objectives[0];

  it('moving an incident from July into August recomputes both months and republishes their credits', async () => {
    const i = await s.past(['database'], '2025-07-31T23:00:00.000Z', '2025-07-31T23:30:00.000Z');
    await s.settled();
    expect(await objective('2025-07', 'database')).toMatchObject({ downtimeMinutes: 30, met: true, creditBasisPoints: 0 });
    const corrected = await s.correct({
      id: i.id,
      reason: 'the monitoring host clock was an hour behind',
      by: { kind: 'person', id: 'carla' },
      impactStart: '2025-08-01T00:00:00.000Z',
      identifiedAt: '2025-08-01T00:00:00.000Z',
      restoredAt: '2025-08-01T00:50:00.000Z',
    });
    expect(corrected).toMatchObject({ revision: 2, corrections: [{ reason: 'the monitoring host clock was an hour behind', by: { kind: 'person', id: 'carla' }, changed: ['impactStart', 'identifiedAt', 'restoredAt'] }] });
    await s.settled();
    // July: nothing left; August (44,640 min, budget 44.64): 50 min → missed, 10 %
    expect(await objective('2025-07', 'database')).toMatchObject({ downtimeMinutes: 0, incidentsCounted: 0, met: true, creditBasisPoints: 0 });
    expect(await objective('2025-08', 'database')).toMatchObject({ downtimeMinutes: 50, incidentsCounted: 1, met: false, creditBasisPoints: 1000 });
    const credits = (m: string) => s.of(AvailabilityEvents.CreditComputed).filter((e) => e.env.payload.componentId === 'database' && e.env.payload.month === m).map((e) => e.env.payload.downtimeMinutes);
    await s.until(() => credits('2025-07').length === 2 && credits('2025-08').length === 1, 'credits of both months');
    expect(credits('2025-07')).toEqual([30, 0]);
    expect(credits('2025-08')).toEqual([50]);
  });

  it('correcting the cause of a server outage to hvac counts it against the datacenter, clearing it does not', async () => {
    const i = await s.past(['servers'], '2025-09-10T10:00:00.000Z', '2025-09-10T10:15:00.000Z');
    await s.settled();
    expect(await objective('2025-09', 'datacenter')).toMatchObject({ downtimeMinutes: 0, creditBasisPoints: 0 });
    await s.correct({ id: i.id, reason: 'the CRAC unit failed', cause: 'hvac' });
    await s.settled();
    expect(await objective('2025-09', 'datacenter')).toMatchObject({ downtimeMinutes: 15, met: false, creditBasisPoints: 1000 });
    await s.correct({ id: i.id, reason: 'it was the hypervisor after all', cause: null });
    await s.settled();
    expect(await objective('2025-09', 'datacenter')).toMatchObject({ downtimeMinutes: 0, creditBasisPoints: 0 });
    await expect(s.bus.request(Rpc.IncidentCorrect, { id: i.id, reason: 'typo', restoredAt: '2025-09-10T09:00:00.000Z' })).rejects.toMatchObject({ code: 'INCIDENT.INVALID_TIMES' });
  });

  it('incident events in any order, redelivered, give the newest revision', async () => {
    const id = randomUUID();
    const base = { incidentId: id, title: 'replayed', severity: 'high' as const, caseIds: [], accountIds: [], platformWide: false, components: ['database'], impact: 'outage' as const };
    const rev = (revision: number, restoredAt?: string) => ({
      ...base,
      revision,
      state: restoredAt ? ('restored' as const) : ('open' as const),
      impactStart: '2025-10-05T10:00:00.000Z',
      identifiedAt: '2025-10-05T10:00:00.000Z',
      ...(restoredAt ? { restoredAt } : {}),
      at: restoredAt ?? '2025-10-05T10:00:00.000Z',
    });
    // newest first: the correction (rev 3: 20 min), the restoration (rev 2: 40 min), the opening, and the correction again
    await s.publish(EscalationEvents.IncidentUpdated, rev(3, '2025-10-05T10:20:00.000Z'));
    await s.publish(EscalationEvents.IncidentRestored, rev(2, '2025-10-05T10:40:00.000Z'));
    await s.publish(EscalationEvents.IncidentOpened, rev(1));
    await s.publish(EscalationEvents.IncidentUpdated, rev(3, '2025-10-05T10:20:00.000Z'));
    await s.settled();
    expect(await objective('2025-10', 'database')).toMatchObject({ downtimeMinutes: 20, incidentsCounted: 1 });
    // a month the opening alone would have reached (it was open since October) holds no trace of it
    expect(await objective('2025-11', 'database')).toMatchObject({ downtimeMinutes: 0, incidentsCounted: 0 });
  });
});
