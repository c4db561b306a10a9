import { CaseEvents, SlaEvents, SlaRpc } from '@sladesk/contracts';
import { slaTestEnv, until, wholeSecondAfter } from './support';

const CASES = 30;

describe('two sla instances running together', () => {
  let env: Awaited<ReturnType<typeof slaTestEnv>>;

  beforeAll(async () => {
    env = await slaTestEnv('sla_two');
    // started at the same moment: the default contract is seeded once
    await Promise.all([env.startSla({ SLADESK_INSTANCE_ID: 'sla-a' }), env.startSla({ SLADESK_INSTANCE_ID: 'sla-b' })]);
  });
  afterAll(() => env.cleanup());

  it('seeded one default contract', async () => {
    const policies = await env.bus.request(SlaRpc.SlaPolicyList, {});
    expect(policies.filter((p) => p.isDefault).map((p) => [p.id, p.version])).toEqual([['default', 1]]);
    const calendars = await env.bus.request(SlaRpc.CalendarList, {});
    expect(calendars.map((c) => [c.id, c.version]).sort()).toEqual([
      ['24x7', 1],
      ['default-contract', 1],
    ]);
  });

  it('emits every clock event once, whichever instance handled the case event or owned the timer', async () => {
    await env.shortGoals('twice', 'PT4S', 'PT600S');
    await new Promise((r) => setTimeout(r, 1500)); // both instances know the policy
    const base = wholeSecondAfter(300).getTime();
    for (let i = 0; i < CASES; i++) await env.opened(`t${i}`, 'twice', new Date(base + (i % 4) * 1000));
    // a third of them wait on the customer for a while, another third is answered in time
    await new Promise((r) => setTimeout(r, base + 1500 - Date.now()));
    for (let i = 0; i < CASES; i += 3) {
      await env.publish(CaseEvents.CaseStatusChanged, { caseId: `t${i}`, accountId: 'twice', at: new Date().toISOString(), from: 'open', to: 'waiting_on_customer', by: { kind: 'staff', name: 'Ada' } });
      await env.publish(CaseEvents.CaseResponded, { caseId: `t${i + 1}`, accountId: 'twice', at: new Date().toISOString(), first: true, channel: 'email', by: { kind: 'staff', name: 'Ada' } });
    }
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < CASES; i += 3) {
      await env.publish(CaseEvents.CaseCustomerReplied, { caseId: `t${i}`, accountId: 'twice', at: new Date().toISOString(), channel: 'email' });
    }
    const expectedBreaches = CASES - Math.ceil(CASES / 3);
    await until(() => env.seen.filter((s) => s.subject === SlaEvents.SlaBreached).length >= expectedBreaches, 'breaches', 30_000);
    await new Promise((r) => setTimeout(r, 2000));

    const stored = await env.stored();
    const key = (s: { subject: string; env: { payload: { caseId: string; clock: string; cycle: number } } }) =>
      `${s.env.payload.caseId}/${s.env.payload.clock}.${s.env.payload.cycle}/${s.subject}`;
    const counts = new Map<string, number>();
    for (const s of stored) counts.set(key(s), (counts.get(key(s)) ?? 0) + 1);
    expect([...counts.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(new Set(stored.map((s) => s.env.eventId)).size).toBe(stored.length);

    const frBreached = stored.filter((s) => s.subject === SlaEvents.SlaBreached && s.env.payload.clock === 'first_response').map((s) => s.env.payload.caseId);
    expect(frBreached.sort()).toEqual(
      Array.from({ length: CASES }, (_, i) => `t${i}`)
        .filter((_, i) => i % 3 !== 1)
        .sort(),
    );
    const met = stored.filter((s) => s.subject === SlaEvents.SlaMet).map((s) => s.env.payload);
    expect(met).toHaveLength(CASES / 3);
    expect(met.every((p) => p.withinGoal)).toBe(true);
    expect(stored.filter((s) => s.subject === SlaEvents.SlaClockPaused && s.env.payload.clock === 'first_response')).toHaveLength(CASES / 3);
    expect(stored.filter((s) => s.subject === SlaEvents.SlaClockResumed && s.env.payload.clock === 'first_response')).toHaveLength(CASES / 3);
  });
});
