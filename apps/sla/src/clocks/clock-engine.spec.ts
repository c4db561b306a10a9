import { compileCalendar } from '@sladesk/business-time';
import { Severity, SlaGoalTable } from '@sladesk/contracts';
import { DEFAULT_GOALS, defaultCalendarSpec, emergencyCalendarSpec } from '../policies/default-contract';
import { businessSecondsOf, CalendarLookup, CaseHistory, derive, evaluate, LogEntry, pendingStages, PolicySnapshot, transitions } from './clock-engine';

const business = compileCalendar(defaultCalendarSpec());
const emergency = compileCalendar(emergencyCalendarSpec());
const calendars: CalendarLookup = (ref) => (ref.id === '24x7' ? emergency : business);

const policy = (goals: SlaGoalTable = DEFAULT_GOALS, over: Partial<PolicySnapshot> = {}): PolicySnapshot => ({
  policyId: 'default',
  policyVersion: 1,
  policyName: 'Default contract',
  calendar: { id: 'default-contract', version: 1 },
  emergencyCalendar: { id: '24x7', version: 1 },
  warningThreshold: 0.75,
  pauseStatuses: ['waiting_on_customer'],
  goals,
  ...over,
});
const tenSeconds = (): SlaGoalTable => {
  const g = { duration: 'PT10S', from: 'received' as const, hours: 'emergency' as const };
  const row = { firstResponse: g, nextResponse: g, resolution: { ...g, duration: 'PT60S' } };
  return { critical: row, high: row, normal: row, low: row };
};

const t = (iso: string) => Date.parse(iso);
let n = 0;
const opened = (at: string, severity: Severity = 'high', p = policy()): LogEntry => ({ id: `e${++n}`, k: 'opened', at: t(at), severity, accountId: 'acme', policy: p });
const fact = (k: LogEntry['k'], at: string, extra: Partial<LogEntry> = {}): LogEntry => ({ id: `e${++n}`, k, at: t(at), ...extra });

const clock = (log: LogEntry[], key: string, now = Date.now()) => {
  const d = derive(log);
  const c = d.cycles.find((x) => x.key === key)!;
  const ev = evaluate(c, d, calendars)!;
  return { ev, due: ev.dueAt === null ? null : new Date(ev.dueAt).toISOString(), now };
};

describe('SLA clocks on the default contract', () => {
  it('times a high-severity case received Friday 17:30 America/Los_Angeles to Monday 11:30 America/New_York', () => {
    const { due, ev } = clock([opened('2025-11-14T17:30:00-08:00')], 'first_response.1');
    expect(due).toBe(new Date('2025-11-17T11:30:00-05:00').toISOString());
    expect(ev.goal).toMatchObject({ duration: 'PT4H', hours: 'business', calendarId: 'default-contract', businessSeconds: 4 * 3600 });
    expect(ev.goal.clause).toContain('high · firstResponse: PT4H');
  });

  it('skips Thanksgiving when the same case arrives the Wednesday before', () => {
    const { due } = clock([opened('2025-11-26T17:30:00-08:00')], 'first_response.1');
    expect(due).toBe(new Date('2025-11-28T11:30:00-05:00').toISOString());
  });

  it('times a critical case 24×7: received on a Saturday night, due an hour later', () => {
    const { due, ev } = clock([opened('2025-11-15T23:10:00-05:00', 'critical')], 'first_response.1');
    expect(due).toBe(new Date('2025-11-16T00:10:00-05:00').toISOString());
    expect(ev.goal.calendarId).toBe('24x7');
  });

  it('gives a low-severity case 2 business hours after the start of the next business day', () => {
    expect(clock([opened('2025-11-17T10:00:00-05:00', 'low')], 'first_response.1').due).toBe(new Date('2025-11-18T10:00:00-05:00').toISOString());
    expect(clock([opened('2025-11-14T17:30:00-08:00', 'low')], 'first_response.1').due).toBe(new Date('2025-11-17T10:00:00-05:00').toISOString());
  });

  it('counts "the start of the next business day" from the next opening when a low case arrives outside the hours', () => {
    const due = (at: string) => clock([opened(at, 'low')], 'first_response.1').due;
    const mondayTen = new Date('2025-11-17T10:00:00-05:00').toISOString();
    expect(due('2025-11-17T07:00:00-05:00')).toBe(mondayTen); // Monday before opening
    expect(due('2025-11-16T23:00:00-05:00')).toBe(mondayTen); // Sunday night: same closed period, same due time
    expect(due('2025-11-14T21:00:00-05:00')).toBe(mondayTen); // Friday at the closing (18:00 PT)
    expect(due('2025-11-17T08:00:00-05:00')).toBe(new Date('2025-11-18T10:00:00-05:00').toISOString()); // at the opening: inside
    const ev = clock([opened('2025-11-17T07:00:00-05:00', 'low')], 'first_response.1').ev;
    expect(ev.goal).toMatchObject({ duration: 'PT2H', from: 'next_business_day', businessSeconds: 7200 });
  });
});

describe('milliseconds', () => {
  const p = policy(tenSeconds());

  it('never cuts the start: received at …:24.9 with PT10S is due at …:34.9, warned at …:32.9', () => {
    const h = new CaseHistory(calendars);
    h.push(opened('2026-01-05T10:00:24.900Z', 'high', p));
    const stages = Object.fromEntries(h.pending().map(({ stage }) => [stage.key, new Date(stage.due).toISOString()]));
    expect(stages['first_response.1.breach']).toBe('2026-01-05T10:00:34.900Z');
    expect(stages['first_response.1.warning']).toBe('2026-01-05T10:00:32.900Z');
    const { ev } = clock([opened('2026-01-05T10:00:24.900Z', 'high', p)], 'first_response.1');
    expect(ev.budgetMs).toBe(10_000);
    expect(ev.goal.businessSeconds).toBe(10);
  });

  it('keeps the milliseconds of pauses, and of a business-hours start for next_business_day goals', () => {
    const log = [
      opened('2026-01-05T10:00:00.300Z', 'high', p),
      fact('status', '2026-01-05T10:00:02.700Z', { status: 'waiting_on_customer' }),
      fact('customer_replied', '2026-01-05T10:00:05.950Z'),
    ];
    // 2.4 s before the pause, 3.25 s paused: due 10 s + 3.25 s after the start
    expect(clock(log, 'first_response.1').due).toBe('2026-01-05T10:00:13.550Z');
    // low, inside the hours at 10:00:00.400 ET: due Tuesday 10:00:00.000 ET, not a fraction earlier
    const { ev, due } = clock([opened('2025-11-17T10:00:00.400-05:00', 'low')], 'first_response.1');
    expect(due).toBe(new Date('2025-11-18T10:00:00-05:00').toISOString());
    expect(ev.budgetMs).toBe(13 * 3600_000 - 400);
    expect(ev.goal.businessSeconds).toBe(13 * 3600);
  });

  it('reports whole seconds: remaining and overdue round up, so "0 overdue" means within the goal', () => {
    expect(businessSecondsOf(9_700, 10_000)).toEqual({ elapsedBusinessSeconds: 9, remainingBusinessSeconds: 1, overdueBusinessSeconds: 0 });
    expect(businessSecondsOf(10_000, 10_000)).toEqual({ elapsedBusinessSeconds: 10, remainingBusinessSeconds: 0, overdueBusinessSeconds: 0 });
    expect(businessSecondsOf(10_001, 10_000)).toEqual({ elapsedBusinessSeconds: 10, remainingBusinessSeconds: 0, overdueBusinessSeconds: 1 });
  });
});

describe('pauses', () => {
  const p = policy(tenSeconds());

  it('moves the due time by exactly the length of the pause and keeps the pause history', () => {
    const log = [opened('2026-01-05T10:00:00Z', 'high', p)];
    expect(clock(log, 'first_response.1').due).toBe('2026-01-05T10:00:10.000Z');
    log.push(fact('status', '2026-01-05T10:00:03Z', { status: 'waiting_on_customer' }));
    expect(clock(log, 'first_response.1').ev.state).toBe('paused');
    expect(clock(log, 'first_response.1').due).toBeNull();
    log.push(fact('customer_replied', '2026-01-05T10:00:40Z'));
    const { ev, due } = clock(log, 'first_response.1');
    expect(due).toBe('2026-01-05T10:00:47.000Z');
    expect(ev.state).toBe('running');
    expect(ev.cycle.exclusions).toEqual([
      expect.objectContaining({ from: t('2026-01-05T10:00:03Z'), to: t('2026-01-05T10:00:40Z'), reason: 'paused', endCause: 'customer_replied' }),
    ]);
  });

  it('keeps the pause time when the severity changes afterwards (recomputed from the history)', () => {
    const log = [
      opened('2025-11-17T09:00:00-05:00', 'normal'),
      fact('status', '2025-11-17T10:00:00-05:00', { status: 'waiting_on_customer' }),
      fact('status', '2025-11-17T12:00:00-05:00', { status: 'open' }),
    ];
    // normal: 8 business hours + 2 paused = 19:00 ET
    expect(clock(log, 'first_response.1').due).toBe(new Date('2025-11-17T19:00:00-05:00').toISOString());
    log.push(fact('reclassified', '2025-11-17T12:30:00-05:00', { severity: 'high' }));
    // high: 4 business hours from 09:00 with the 2-hour pause kept = 15:00 ET
    expect(clock(log, 'first_response.1').due).toBe(new Date('2025-11-17T15:00:00-05:00').toISOString());
  });

  it('keeps a met goal as it was when the policy changes later', () => {
    const log = [opened('2026-01-05T10:00:00Z', 'high', p), fact('responded', '2026-01-05T10:00:05Z')];
    const before = clock(log, 'first_response.1').ev;
    log.push(fact('policy', '2026-01-05T10:01:00Z', { policy: policy(DEFAULT_GOALS, { policyVersion: 2 }) }));
    const after = clock(log, 'first_response.1').ev;
    expect(after.goal).toEqual(before.goal);
    expect(clock(log, 'resolution.1').ev.goal.policyVersion).toBe(2);
  });
});

describe('history arriving out of order', () => {
  const p = policy(tenSeconds());
  const facts = () => [
    opened('2026-01-05T10:00:00Z', 'high', p),
    fact('status', '2026-01-05T10:00:02Z', { status: 'waiting_on_customer' }),
    fact('customer_replied', '2026-01-05T10:00:05Z'),
    fact('responded', '2026-01-05T10:00:07Z'),
    fact('customer_replied', '2026-01-05T10:00:09Z'),
    fact('reclassified', '2026-01-05T10:00:10Z', { severity: 'critical' }),
  ];

  it('derives the same clocks whatever the order of arrival', () => {
    const inOrder = facts();
    const expected = derive(inOrder);
    const shuffled = [inOrder[4], inOrder[2], inOrder[0], inOrder[5], inOrder[3], inOrder[1]];
    expect(derive(shuffled)).toEqual(expected);
    expect([...pendingStages(derive(shuffled), calendars).values()]).toEqual([...pendingStages(expected, calendars).values()]);
    expect(expected.cycles.map((c) => c.key)).toEqual(['first_response.1', 'resolution.1', 'next_response.1']);
  });

  it('counts a fact dated before the reception from the reception', () => {
    const log = [fact('status', '2026-01-05T09:00:00Z', { status: 'waiting_on_customer' }), opened('2026-01-05T10:00:00Z', 'high', p)];
    expect(clock(log, 'first_response.1').ev.state).toBe('paused');
  });
});

describe('transitions and stages', () => {
  const p = policy(tenSeconds());

  it('reports started, paused, resumed and met, and the stages each fact changed', () => {
    const h = new CaseHistory(calendars);
    h.push(opened('2026-01-05T10:00:00Z', 'high', p));
    expect(h.causedBy.get(1)!.map((x) => `${x.kind} ${x.cycleKey}`)).toEqual(['started first_response.1', 'started resolution.1']);
    expect(h.changedAt(1).map((s) => `${s.stage.key}@${new Date(s.stage.due).toISOString()}`).sort()).toEqual([
      'first_response.1.breach@2026-01-05T10:00:10.000Z',
      'first_response.1.warning@2026-01-05T10:00:08.000Z',
      'resolution.1.breach@2026-01-05T10:01:00.000Z',
      'resolution.1.warning@2026-01-05T10:00:45.000Z',
    ]);

    h.push(fact('status', '2026-01-05T10:00:09Z', { status: 'waiting_on_customer' }));
    expect(h.causedBy.get(2)!.map((x) => x.kind)).toEqual(['paused', 'paused']);
    // the warning at 10:00:08 lies before the pause: unchanged, same version
    expect(h.versions.get('first_response.1.warning')!.version).toBe(1);
    expect(h.pending().map((s) => s.stage.key)).toEqual(['first_response.1.warning']);

    h.push({ id: 'fired-w', k: 'fired', at: t('2026-01-05T10:00:08Z'), stage: 'first_response.1.warning', seconds: 8 });
    expect(h.pending()).toEqual([]);

    h.push(fact('customer_replied', '2026-01-05T10:00:20Z'));
    expect(h.causedBy.get(4)!.map((x) => `${x.kind}:${x.reason}`)).toEqual(['resumed:customer_replied', 'resumed:customer_replied']);
    // the warning already fired at this threshold: not again after the pause
    expect(h.pending().map((s) => `${s.stage.key}@${new Date(s.stage.due).toISOString()}`).sort()).toEqual([
      'first_response.1.breach@2026-01-05T10:00:21.000Z',
      'resolution.1.breach@2026-01-05T10:01:11.000Z',
      'resolution.1.warning@2026-01-05T10:00:56.000Z',
    ]);

    h.push(fact('responded', '2026-01-05T10:00:30Z'));
    const met = h.causedBy.get(5)!;
    expect(met).toEqual([expect.objectContaining({ kind: 'met', cycleKey: 'first_response.1', reason: 'responded' })]);
    expect(h.pending().map((s) => s.stage.key).sort()).toEqual(['resolution.1.breach', 'resolution.1.warning']);
  });

  it('starts a next-response clock at each customer reply after a response', () => {
    const log = [opened('2026-01-05T10:00:00Z', 'high', p), fact('responded', '2026-01-05T10:00:01Z'), fact('customer_replied', '2026-01-05T10:00:02Z')];
    const before = derive(log.slice(0, 2));
    const after = derive(log);
    expect(transitions(before, after)).toEqual([{ kind: 'started', cycleKey: 'next_response.1', at: t('2026-01-05T10:00:02Z') }]);
    log.push(fact('responded', '2026-01-05T10:00:03Z'), fact('customer_replied', '2026-01-05T10:00:04Z'));
    expect(derive(log).cycles.filter((c) => c.clock === 'next_response').map((c) => c.stoppedAt !== undefined)).toEqual([true, false]);
  });

  it('stops the resolution clock while resolved and resumes it on reopen', () => {
    const log = [opened('2026-01-05T10:00:00Z', 'high', p), fact('resolved', '2026-01-05T10:00:20Z')];
    expect(clock(log, 'resolution.1').ev.state).toBe('met');
    log.push(fact('reopened', '2026-01-05T10:01:20Z', { byContact: true }));
    const { ev, due } = clock(log, 'resolution.1');
    expect(ev.state).toBe('running');
    expect(due).toBe('2026-01-05T10:02:00.000Z');
    expect(derive(log).cycles.map((c) => c.key)).toContain('next_response.1');
  });
});
