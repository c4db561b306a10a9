import { CaseEvents, SlaEvents, SlaRpc } from '@sladesk/contracts';
import { slaTestEnv, until, wholeSecondAfter } from './support';

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const by = { kind: 'staff' as const, name: 'Ada' };

describe('a case reclassified after a pause', () => {
  let env: Awaited<ReturnType<typeof slaTestEnv>>;

  beforeAll(async () => {
    env = await slaTestEnv('sla_reclass');
    await env.startSla();
    const goal = (duration: string) => ({ firstResponse: { duration, hours: 'emergency' as const } });
    await env.bus.request(SlaRpc.SlaPolicyCreate, { accountId: 'reclass', name: 'reclass', goals: { high: goal('PT20S'), critical: goal('PT10S') } });
  });
  afterAll(() => env.cleanup());

  it('is re-timed from its history with the new goal, the pause kept, and breaches on the new due time only', async () => {
    const r = wholeSecondAfter(200).getTime();
    const caseId = 'case-reclass';
    await env.opened(caseId, 'reclass', new Date(r), 'high');
    await sleepUntil(r + 2000);
    await env.publish(CaseEvents.CaseStatusChanged, { caseId, accountId: 'reclass', at: new Date(r + 2000).toISOString(), from: 'open', to: 'waiting_on_customer', by });
    await sleepUntil(r + 5000);
    await env.publish(CaseEvents.CaseStatusChanged, { caseId, accountId: 'reclass', at: new Date(r + 5000).toISOString(), from: 'waiting_on_customer', to: 'open', by });
    await until(() => env.of(caseId, SlaEvents.SlaClockResumed).find((s) => s.env.payload.clock === 'first_response'), 'resumed');
    expect((await env.bus.request(SlaRpc.CaseSlaGet, { caseId })).clocks[0]!.dueAt).toBe(new Date(r + 23_000).toISOString());

    await sleepUntil(r + 6000);
    await env.publish(CaseEvents.CaseReclassified, {
      caseId,
      accountId: 'reclass',
      at: new Date(r + 6000).toISOString(),
      severity: 'critical',
      category: 'technical',
      previousSeverity: 'high',
      previousCategory: 'technical',
      reason: 'production down',
    });
    // critical: 10 s of goal + the 3 s pause
    const breach = await until(() => env.of(caseId, SlaEvents.SlaBreached).find((s) => s.env.payload.clock === 'first_response'), 'breach', 20_000);
    expect(breach.env.payload).toMatchObject({ severity: 'critical', dueAt: new Date(r + 13_000).toISOString(), goal: { duration: 'PT10S' } });
    expect(breach.receivedAt - (r + 13_000)).toBeLessThan(1000);
    const view = await env.bus.request(SlaRpc.CaseSlaGet, { caseId });
    expect(view.clocks[0]).toMatchObject({ dueAt: new Date(r + 13_000).toISOString(), pauses: [{ businessSeconds: 3 }] });

    await sleepUntil(r + 24_000);
    expect(env.of(caseId, SlaEvents.SlaBreached).filter((s) => s.env.payload.clock === 'first_response')).toHaveLength(1);
  });
});
