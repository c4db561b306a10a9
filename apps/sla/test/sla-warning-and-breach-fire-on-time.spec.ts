import { SlaEvents } from '@sladesk/contracts';
import { slaTestEnv, until, wholeSecondAfter } from './support';

describe('warnings and breaches fire on time (24×7 goals of PT10S)', () => {
  let env: Awaited<ReturnType<typeof slaTestEnv>>;

  beforeAll(async () => {
    env = await slaTestEnv('sla_on_time');
    await env.startSla();
    await env.shortGoals('fast');
  });
  afterAll(() => env.cleanup());

  it('starts the clocks, warns at 75 % and breaches at 100 %, each within 1 s of due', async () => {
    const received = wholeSecondAfter(200);
    await env.opened('case-on-time', 'fast', received);

    const started = await until(() => env.of('case-on-time', SlaEvents.SlaClockStarted).length === 2 && env.of('case-on-time', SlaEvents.SlaClockStarted), 'clocks started');
    const first = started.find((s) => s.env.payload.clock === 'first_response')!.env.payload;
    expect(first).toMatchObject({
      accountId: 'fast',
      severity: 'high',
      cycle: 1,
      dueAt: new Date(received.getTime() + 10_000).toISOString(),
      goal: { duration: 'PT10S', hours: 'emergency', calendarId: '24x7', businessSeconds: 10 },
      remainingBusinessSeconds: 10,
    });
    expect(first.goal.clause).toMatch(/high · firstResponse: PT10S/);

    const warning = await until(() => env.of('case-on-time', SlaEvents.SlaWarning).find((s) => s.env.payload.clock === 'first_response'), 'warning', 20_000);
    const breach = await until(() => env.of('case-on-time', SlaEvents.SlaBreached).find((s) => s.env.payload.clock === 'first_response'), 'breach', 20_000);

    expect(warning.env.payload).toMatchObject({ at: new Date(received.getTime() + 8_000).toISOString(), thresholdPercent: 75, remainingBusinessSeconds: 2, elapsedBusinessSeconds: 8 });
    expect(breach.env.payload).toMatchObject({ at: new Date(received.getTime() + 10_000).toISOString(), overdueBusinessSeconds: 0, remainingBusinessSeconds: 0 });
    const warnLate = warning.receivedAt - (received.getTime() + 8_000);
    const breachLate = breach.receivedAt - (received.getTime() + 10_000);
    // Never early; how late is the benchmark's business (tools/bench/sla), not a timing bound in a test.
    expect(warnLate).toBeGreaterThanOrEqual(0);
    expect(breachLate).toBeGreaterThanOrEqual(0);
    // the dedup id of a fired timer: <timerId>:<version>
    expect(breach.env.eventId).toBe('case-on-time.first_response.1.breach:1');
  });

  it('answers GET sla with the state of every clock', async () => {
    const received = wholeSecondAfter(0);
    await env.opened('case-view', 'fast', received);
    const view = await until(() => env.bus.request('sladesk.rpc.sla.case-sla.get.v1', { caseId: 'case-view' }).catch(() => null), 'sla view');
    expect(view).toMatchObject({ caseId: 'case-view', accountId: 'fast', severity: 'high', status: 'new', insideBusinessHours: expect.any(Boolean) });
    const fr = view!.clocks.find((c) => c.clock === 'first_response')!;
    expect(fr).toMatchObject({ state: 'running', breached: false, pauses: [], insideCalendarHours: true, dueAt: new Date(received.getTime() + 10_000).toISOString() });
    expect(fr.elapsedBusinessSeconds + fr.remainingBusinessSeconds).toBe(10);
  });
});
