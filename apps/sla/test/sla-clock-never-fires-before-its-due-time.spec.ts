import { CaseEvents, SlaEvents } from '@sladesk/contracts';
import mongoose from 'mongoose';
import { TIMER_HINT_SUBJECT } from '../src/timers/sla-timers';
import { TimerStore } from '../src/timers/timer-store';
import { Seen, slaTestEnv, until, wholeSecondAfter } from './support';

const iso = (ms: number) => new Date(ms).toISOString();
const system = { kind: 'staff' as const, name: 'Grace' };

/** A warning or breach is dated at its due time and published no earlier (the instant the sla process fired it). */
function expectNotEarly(event: Seen, due: number) {
  expect(event.env.payload.at).toBe(iso(due));
  expect(Date.parse(event.env.occurredAt)).toBeGreaterThanOrEqual(due);
}

describe('a clock never fires before its due time (24×7 goals of PT5S, instants with milliseconds)', () => {
  let env: Awaited<ReturnType<typeof slaTestEnv>>;

  beforeAll(async () => {
    env = await slaTestEnv('sla_never_early');
    await env.startSla();
    await env.shortGoals('ms', 'PT5S', 'PT30S');
  });
  afterAll(() => env.cleanup());

  const firstResponse = (caseId: string, subject: string) => env.of(caseId, subject).find((s) => s.env.payload.clock === 'first_response');

  it('received at …:xx.900: due, warned and breached counting from …:xx.900, not from the second before', async () => {
    const r = wholeSecondAfter(200).getTime() + 900;
    await env.opened('ms-start', 'ms', new Date(r));

    const started = await until(() => firstResponse('ms-start', SlaEvents.SlaClockStarted), 'started');
    expect(started.env.payload).toMatchObject({ at: iso(r), dueAt: iso(r + 5000), remainingBusinessSeconds: 5, goal: { businessSeconds: 5 } });

    const warning = await until(() => firstResponse('ms-start', SlaEvents.SlaWarning), 'warning');
    const breach = await until(() => firstResponse('ms-start', SlaEvents.SlaBreached), 'breach');
    expectNotEarly(warning, r + 4000); // 75 % of 5 s, rounded up to a whole second
    expectNotEarly(breach, r + 5000);
    expect(breach.env.payload).toMatchObject({ dueAt: iso(r + 5000), elapsedBusinessSeconds: 5, remainingBusinessSeconds: 0, overdueBusinessSeconds: 0 });
  });

  it('a pause that starts and ends on fractions of a second moves the due time by exactly its length', async () => {
    const r = wholeSecondAfter(200).getTime() + 300;
    const caseId = 'ms-pause';
    await env.opened(caseId, 'ms', new Date(r));
    await until(() => firstResponse(caseId, SlaEvents.SlaClockStarted), 'started');
    // facts carry their own instants: a pause from r + 1.3 s to r + 2.65 s (1.35 s)
    await env.publish(CaseEvents.CaseStatusChanged, { caseId, accountId: 'ms', at: iso(r + 1300), from: 'open', to: 'waiting_on_customer', by: system });
    await until(() => firstResponse(caseId, SlaEvents.SlaClockPaused), 'paused');
    await env.publish(CaseEvents.CaseCustomerReplied, { caseId, accountId: 'ms', at: iso(r + 2650), channel: 'email' });
    const resumed = await until(() => firstResponse(caseId, SlaEvents.SlaClockResumed), 'resumed');
    expect(resumed.env.payload.dueAt).toBe(iso(r + 6350));

    const breach = await until(() => firstResponse(caseId, SlaEvents.SlaBreached), 'breach');
    expectNotEarly(breach, r + 6350);
    expect(breach.env.payload.dueAt).toBe(iso(r + 6350));
  });

  it('a timer stored with a due time before its stage\'s is put back, not fired early', async () => {
    const r = wholeSecondAfter(200).getTime();
    const caseId = 'ms-stale-timer';
    const timerId = `${caseId}.first_response.1.breach`;
    await env.opened(caseId, 'ms', new Date(r));
    await until(() => firstResponse(caseId, SlaEvents.SlaClockStarted), 'started');

    // what a build that cut instants to the second (or any bug) could have stored: the current version, due now
    const conn = await mongoose.createConnection(env.mongoUrl).asPromise();
    try {
      const store = new TimerStore(conn.db!, 2000);
      await store.init();
      const [slot] = await store.schedule([{ id: timerId, v: 1, due: Date.now() }]);
      env.bus.nc.publish(TIMER_HINT_SUBJECT, String(slot));

      const breach = await until(() => firstResponse(caseId, SlaEvents.SlaBreached), 'breach');
      expectNotEarly(breach, r + 5000);
      expect(breach.env.eventId).toBe(`${timerId}:1`);
      const stored = (await env.stored()).filter((s) => s.subject === SlaEvents.SlaBreached && s.env.payload.caseId === caseId && s.env.payload.clock === 'first_response');
      expect(stored).toHaveLength(1);

      // the early timer was handled, and put back at the stage's due time: two timers `<id> 1 <due>` in its slot
      let lines = 0;
      const dueSlot = store.slotOf(r + 5000);
      for (let k = 0; ; k++) {
        const chunk = await store.read(dueSlot, k);
        if (!chunk) break;
        lines += chunk.text.split('\n').filter((l) => l === `${timerId} 1 ${r + 5000}`).length;
      }
      expect(lines).toBe(2);
    } finally {
      await conn.close();
    }
  });
});
