import { SlaEvents } from '@sladesk/contracts';
import { ServiceChild } from '@sladesk/testing';
import { slaTestEnv, until, wholeSecondAfter } from './support';

const CASES = 40;
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

describe('an sla service killed with SIGKILL before the due times', () => {
  let env: Awaited<ReturnType<typeof slaTestEnv>>;
  let sla: ServiceChild;

  beforeAll(async () => {
    env = await slaTestEnv('sla_kill');
    sla = await env.startSla();
    await env.shortGoals('killed', 'PT6S', 'PT600S');
  });
  afterAll(() => env.cleanup());

  it('still emits every warning and breach exactly once after a restart', async () => {
    const base = wholeSecondAfter(500).getTime();
    // received over 8 seconds: first-response breaches due from base + 6 s to base + 13 s
    for (let i = 0; i < CASES; i++) await env.opened(`k${i}`, 'killed', new Date(base + (i % 8) * 1000));
    await until(() => env.seen.filter((s) => s.subject === SlaEvents.SlaClockStarted).length >= 2 * CASES, 'all clocks started');

    await sleepUntil(base + 8500);
    const breachedBeforeKill = new Set(env.seen.filter((s) => s.subject === SlaEvents.SlaBreached).map((s) => s.env.payload.caseId));
    await sla.kill('SIGKILL');
    expect(breachedBeforeKill.size).toBeGreaterThan(0);
    expect(breachedBeforeKill.size).toBeLessThan(CASES);

    // every remaining due time passes while no sla instance runs
    await sleepUntil(base + 15_000);
    sla = await env.startSla();
    await until(() => new Set(env.seen.filter((s) => s.subject === SlaEvents.SlaBreached).map((s) => s.env.payload.caseId)).size === CASES, 'every breach', 30_000);
    await new Promise((r) => setTimeout(r, 1500));

    const stored = await env.stored();
    for (const subject of [SlaEvents.SlaWarning, SlaEvents.SlaBreached]) {
      const firstResponse = stored.filter((s) => s.subject === subject && s.env.payload.clock === 'first_response');
      expect(firstResponse).toHaveLength(CASES);
      expect(new Set(firstResponse.map((s) => s.env.payload.caseId)).size).toBe(CASES);
      for (const s of firstResponse) expect(s.env.eventId).toBe(`${s.env.payload.caseId}.first_response.1.${subject === SlaEvents.SlaWarning ? 'warning' : 'breach'}:1`);
    }
    const started = stored.filter((s) => s.subject === SlaEvents.SlaClockStarted);
    expect(started).toHaveLength(2 * CASES);
  });
});
