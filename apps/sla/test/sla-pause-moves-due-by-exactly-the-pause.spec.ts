import { CaseEvents, SlaEvents } from '@sladesk/contracts';
import { slaTestEnv, until, wholeSecondAfter } from './support';

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const system = { kind: 'staff' as const, name: 'Grace' };

describe('a pause while waiting on the customer', () => {
  let env: Awaited<ReturnType<typeof slaTestEnv>>;

  beforeAll(async () => {
    env = await slaTestEnv('sla_pause');
    await env.startSla();
    await env.shortGoals('pausing');
  });
  afterAll(() => env.cleanup());

  it('moves the due time by exactly the length of the pause, and the breach with it', async () => {
    const r = wholeSecondAfter(200).getTime();
    const caseId = 'case-pause';
    await env.opened(caseId, 'pausing', new Date(r));
    await until(() => env.of(caseId, SlaEvents.SlaClockStarted).length === 2, 'started');

    await sleepUntil(r + 3000);
    await env.publish(CaseEvents.CaseStatusChanged, { caseId, accountId: 'pausing', at: new Date(r + 3000).toISOString(), from: 'open', to: 'waiting_on_customer', by: system });
    const paused = await until(() => env.of(caseId, SlaEvents.SlaClockPaused).find((s) => s.env.payload.clock === 'first_response'), 'paused');
    expect(paused.env.payload).toMatchObject({ at: new Date(r + 3000).toISOString(), reason: 'status:waiting_on_customer', elapsedBusinessSeconds: 3, remainingBusinessSeconds: 7 });
    expect(paused.env.payload.dueAt).toBeUndefined();

    // 6 seconds of pause; the first-response goal would have been due at r + 10 s
    await sleepUntil(r + 9000);
    await env.publish(CaseEvents.CaseCustomerReplied, { caseId, accountId: 'pausing', at: new Date(r + 9000).toISOString(), channel: 'email' });
    const resumed = await until(() => env.of(caseId, SlaEvents.SlaClockResumed).find((s) => s.env.payload.clock === 'first_response'), 'resumed');
    expect(resumed.env.payload).toMatchObject({ at: new Date(r + 9000).toISOString(), reason: 'customer_replied', dueAt: new Date(r + 16_000).toISOString() });

    const breach = await until(() => env.of(caseId, SlaEvents.SlaBreached).find((s) => s.env.payload.clock === 'first_response'), 'breach', 20_000);
    expect(breach.env.payload).toMatchObject({ at: new Date(r + 16_000).toISOString(), dueAt: new Date(r + 16_000).toISOString(), elapsedBusinessSeconds: 10 });
    expect(breach.receivedAt - (r + 16_000)).toBeGreaterThanOrEqual(0); // never early
    const warning = env.of(caseId, SlaEvents.SlaWarning).find((s) => s.env.payload.clock === 'first_response')!;
    expect(warning.env.payload.at).toBe(new Date(r + 14_000).toISOString());

    const view = await env.bus.request('sladesk.rpc.sla.case-sla.get.v1', { caseId });
    const fr = view.clocks.find((c) => c.clock === 'first_response')!;
    expect(fr).toMatchObject({
      state: 'running',
      breached: true,
      dueAt: new Date(r + 16_000).toISOString(),
      warnedAt: new Date(r + 14_000).toISOString(),
      breachedAt: new Date(r + 16_000).toISOString(),
      pauses: [{ from: new Date(r + 3000).toISOString(), to: new Date(r + 9000).toISOString(), reason: 'paused', businessSeconds: 6 }],
    });
  });
});
