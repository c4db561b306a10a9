import { AvailabilityEvents, AvailabilityRpc } from '@sladesk/contracts';
import { availabilityStack } from './availability-stack';

/**
 * A 99.9996 % objective allows 4 millionths of the month: in a 31-day month 2,678,400 s × 4e-6 = 10.7136 s.
 * An incident opened now spends it in ~10.7 s; the sla service is SIGKILLed and restarted meanwhile, and
 * once more afterwards: `objective.breached` is published once, no earlier than the instant the budget
 * ran out, and carries that instant.
 */
describe('error budget of an open incident', () => {
  let s: Awaited<ReturnType<typeof availabilityStack>>;
  beforeAll(async () => {
    s = await availabilityStack('avail_budget');
  });
  afterAll(() => s?.cleanup());

  it('runs out during the incident: one objective.breached at that instant, across restarts', async () => {
    await s.component({
      id: 'fragile',
      name: 'Fragile service',
      kind: 'api',
      objectives: [{ id: 'monthly', kind: 'availability', targetPercent: 99.9996, timeZone: 'UTC', availabilityCredits: [{ belowPercent: 99.9996, creditBasisPoints: 300 }] }],
    });
    const incident = await s.incident({ components: ['fragile'], title: 'fragile is down' });
    const start = Date.parse(incident.impactStart);
    // the month of the incident, in UTC, and its budget by hand
    const d = new Date(start);
    const periodMs = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    const budgetMs = (periodMs * 4) / 1_000_000;
    const runsOutAt = Math.ceil(start + budgetMs);

    const view = await s.until(async () => {
      const c = await s.bus.request(AvailabilityRpc.ComponentGet, { id: 'fragile' });
      return c.errorBudget?.[0]?.exhaustsAt ? c : undefined;
    }, 'the error budget to show when it runs out');
    expect(view.errorBudget![0]).toMatchObject({ objectiveId: 'monthly', budgetMinutes: Math.round((budgetMs / 60_000) * 10_000) / 10_000, met: true, exhaustsAt: new Date(runsOutAt).toISOString() });
    expect(view.errorBudget![0].budgetLeftMinutes!).toBeGreaterThan(0);

    await s.restartSla('SIGKILL');
    const breached = () => s.of(AvailabilityEvents.ObjectiveBreached).filter((e) => e.env.payload.componentId === 'fragile');
    const [first] = await s.until(() => (breached().length ? breached() : undefined), 'objective.breached', 30_000);
    expect(first.env.payload).toMatchObject({ objectiveId: 'monthly', kind: 'availability', incidentId: incident.id, targetPercent: 99.9996, at: new Date(runsOutAt).toISOString() });
    expect(first.env.eventId).toBe(`objective-breached:fragile:monthly:${incident.impactStart.slice(0, 7)}`);
    expect(first.receivedAt).toBeGreaterThanOrEqual(runsOutAt);

    await s.restartSla('SIGKILL');
    await new Promise((r) => setTimeout(r, 2500));
    expect(breached()).toHaveLength(1);
    const after = await s.bus.request(AvailabilityRpc.ComponentGet, { id: 'fragile' });
    expect(after.errorBudget![0].met).toBe(false);
    expect(after.errorBudget![0].budgetLeftMinutes!).toBeLessThan(0);
  });
});
