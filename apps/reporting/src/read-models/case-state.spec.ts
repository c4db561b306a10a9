import { EventEnvelope, Events, makeEnvelope } from '@sladesk/contracts';
import fc from 'fast-check';
import { bucketDeltas } from './buckets';
import { caseReducer, CaseState } from './case-state';
import { escalationReducer } from './escalation-state';
import { noticeFactOf, noticeFactsOf, noticeReducer } from './notice-state';

const goal = (clause: string) => ({ clause, policyId: 'p', policyVersion: 1, duration: 'PT4H', from: 'received' as const, hours: 'business' as const, calendarId: 'c', calendarVersion: 1, businessSeconds: 14_400 });
const clock = (type: string, clockName: string, at: string, extra: object) =>
  makeEnvelope(type, { caseId: 'c1', accountId: 'acme', clock: clockName, cycle: 1, severity: 'high', goal: goal(`${clockName} goal`), at, elapsedBusinessSeconds: 100, remainingBusinessSeconds: 0, overdueBusinessSeconds: 0, ...extra });

/** A case's life: opened, reclassified, responded late after a breach, resolved, reopened, resolved again. */
const history: EventEnvelope[] = [
  makeEnvelope(Events.CaseOpened, { caseId: 'c1', number: 1, accountId: 'acme', channel: 'email', severity: 'normal', category: 'technical', receivedAt: '2026-03-02T14:00:00.000Z' }),
  makeEnvelope(Events.CaseReclassified, { caseId: 'c1', accountId: 'acme', at: '2026-03-02T14:30:00.000Z', severity: 'high', category: 'technical', previousSeverity: 'normal', previousCategory: 'technical', reason: 'outage' }),
  clock(Events.SlaBreached, 'first_response', '2026-03-02T18:00:00.000Z', {}),
  clock(Events.SlaMet, 'first_response', '2026-03-02T19:00:00.000Z', { withinGoal: false, elapsedBusinessSeconds: 18_000, reason: 'responded' }),
  makeEnvelope(Events.CaseResponded, { caseId: 'c1', accountId: 'acme', at: '2026-03-02T19:00:00.000Z', by: { kind: 'staff', name: 'Carla' }, first: true, channel: 'email' }),
  makeEnvelope(Events.CaseResolved, { caseId: 'c1', accountId: 'acme', at: '2026-03-03T10:00:00.000Z', by: { kind: 'staff', name: 'Tom' } }),
  clock(Events.SlaMet, 'resolution', '2026-03-03T10:00:00.000Z', { withinGoal: true, elapsedBusinessSeconds: 7200, reason: 'resolved' }),
  makeEnvelope(Events.CaseReopened, { caseId: 'c1', accountId: 'acme', at: '2026-03-04T10:00:00.000Z', by: { kind: 'contact', name: 'Ada' }, reopenCount: 1 }),
  clock(Events.SlaBreached, 'resolution', '2026-03-04T12:00:00.000Z', {}),
  makeEnvelope(Events.CaseResolved, { caseId: 'c1', accountId: 'acme', at: '2026-03-05T10:00:00.000Z', by: { kind: 'staff', name: 'Tom' } }),
  clock(Events.SlaMet, 'resolution', '2026-03-05T10:00:00.000Z', { withinGoal: false, elapsedBusinessSeconds: 36_000, reason: 'resolved' }),
  makeEnvelope(Events.CaseTimelineAppended, {
    caseId: 'c1',
    accountId: 'acme',
    entries: [
      { seq: 1, kind: 'opened', at: '2026-03-02T14:00:00.000Z', recordedAt: '2026-03-02T14:00:00.000Z', actor: { kind: 'contact', name: 'Ada' }, text: 'It is down', data: { subject: 'Down', contactEmail: 'ada@acme.test' }, prevHash: '0'.repeat(64), hash: '1'.repeat(64) },
    ],
  }),
];

const fold = (events: EventEnvelope[]): CaseState => events.reduce((s, e) => caseReducer.apply(s, e), caseReducer.empty('c1'));

describe('read-model reducers', () => {
  it('give the same case, and the same counters, for any order of its events and any redelivery', () => {
    const expected = fold(history);
    expect(expected).toMatchObject({ severity: { v: 'high' }, reopenCount: 1, contact: { name: 'Ada', email: 'ada@acme.test' }, subject: 'Down' });
    expect(caseReducer.contributions(expected)).toEqual([
      {
        day: '2026-03-02',
        accountId: 'acme',
        inc: expect.objectContaining({ cases: 1, 's.high.cases': 1, 's.high.fr.missed': 1, 's.high.res.missed': 1, 's.high.breaches': 2, 's.high.resolved': 1, reopened: 1 }),
      },
    ]);
    fc.assert(
      fc.property(fc.shuffledSubarray(history, { minLength: history.length, maxLength: history.length }), fc.array(fc.nat(history.length - 1), { maxLength: 4 }), (order, dups) => {
        const withDups = [...order, ...dups.map((i) => order[i])];
        const state = fold(withDups);
        expect(state).toEqual(expected);
        expect(bucketDeltas(caseReducer.contributions(state), caseReducer.contributions(expected))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('moves a case between counters when a late event changes its outcome, never counting it twice', () => {
    const early = fold(history.slice(0, 7)); // resolved in time, not yet reopened
    const late = fold(history);
    const deltas = bucketDeltas(caseReducer.contributions(early), caseReducer.contributions(late));
    const month = deltas.find((d) => d.period === '2026-03')!;
    expect(Object.fromEntries(month.inc.map(({ f, n }) => [f, n]))).toMatchObject({ 's.high.res.met': -1, 's.high.res.missed': 1, reopened: 1 });
    expect(month.inc.find((i) => i.f === 'cases')).toBeUndefined();
  });

  it('keeps the first notification of an escalation and the time to its acknowledgement', () => {
    const esc = (repeat: number, at: string) => makeEnvelope(Events.Escalated, { escalationId: 'e1', caseId: 'c1', accountId: 'acme', level: 'tier2', reason: 'technical', detail: 'd', recipients: [`t${repeat}`], repeat, at });
    const ack = makeEnvelope(Events.EscalationAcknowledged, { escalationId: 'e1', caseId: 'c1', level: 'tier2', by: 't1', at: '2026-03-02T15:00:00.000Z' });
    for (const order of [[esc(0, '2026-03-02T14:00:00.000Z'), esc(1, '2026-03-02T14:30:00.000Z'), ack], [ack, esc(1, '2026-03-02T14:30:00.000Z'), esc(0, '2026-03-02T14:00:00.000Z')]]) {
      const s = order.reduce((st, e) => escalationReducer.apply(st, e), escalationReducer.empty('e1'));
      expect(escalationReducer.contributions(s)).toEqual([
        { day: '2026-03-02', accountId: 'acme', inc: { 'e.n': 1, 'e.tier2.technical.n': 1, 'e.tier2.technical.rep': 1, 'e.tier2.technical.ack': 1, 'e.tier2.technical.ackh.6': 1, 'e.tier2.technical.acks': 3600 } },
      ]);
    }
  });

  it('reads delivery outcomes of any context, and a later success wins over a failure', () => {
    const failed = makeEnvelope('sladesk.evt.outbound.failed.v1', { deliveryId: 'd1', noticeId: 'n1', source: 'maintenance', topic: 'window.reminder', channel: 'email', to: 'ops@acme.test', subject: 'Maintenance tonight', attempts: 1, error: '451', final: false, accountId: 'acme', at: '2026-03-02T10:00:00.000Z' });
    const sent = makeEnvelope('sladesk.evt.outbound.sent.v1', { ...(failed.payload as object), attempts: 2, at: '2026-03-02T10:05:00.000Z' });
    expect(noticeFactOf(makeEnvelope('sladesk.evt.case.opened.v1', {}))).toBeNull();
    for (const order of [[failed, sent], [sent, failed]]) {
      const s = order.reduce((st, e) => noticeReducer.apply(st, { ...e, payload: noticeFactOf(e)! }), noticeReducer.empty('outbound:d1'));
      expect(s).toMatchObject({ source: 'maintenance', topic: 'window.reminder', to: 'ops@acme.test', firstAt: '2026-03-02T10:00:00.000Z', outcome: { v: 'sent', attempts: 2 } });
      expect(noticeReducer.contributions(s)).toEqual([{ day: '2026-03-02', accountId: 'acme', inc: { 'n.total': 1, 'n.sent': 1 } }]);
    }
  });

  it("reads each delivery an outbound.outcomes event lists as its single event would be read, under that event's id", () => {
    const single = makeEnvelope('sladesk.evt.outbound.failed.v1', { deliveryId: 'd1', noticeId: 'n1', source: 'maintenance', topic: 'window.scheduled', channel: 'email', to: 'ops@acme.test', subject: 'Maintenance tonight', attempts: 1, error: '451', final: false, accountId: 'acme', refs: { windowId: 'w1' }, at: '2026-03-02T10:00:00.000Z' });
    const item = (deliveryId: string, to: string, outcome: 'sent' | 'failed', extra: object = {}) => ({ eventId: `${deliveryId}.1`, outcome, deliveryId, accountId: 'acme', channel: 'email', to, subject: 'Maintenance tonight', attempts: 1, at: '2026-03-02T10:00:00.000Z', ...extra });
    const batch = {
      ...makeEnvelope('sladesk.evt.outbound.outcomes.v1', {
        noticeId: 'n1',
        source: 'maintenance',
        topic: 'window.scheduled',
        refs: { windowId: 'w1' },
        packId: 'pck_1',
        outcomes: [item('d1', 'ops@acme.test', 'failed', { error: '451', final: false }), item('d2', 'cto@acme.test', 'sent'), { eventId: 'bad' }],
      }),
      eventId: 'pck_1:0:0',
    };
    const facts = noticeFactsOf(batch);
    expect(facts.map((f) => f.eventId)).toEqual(['d1.1', 'd2.1']);
    // The same fact as the single event of that attempt, under the same id: applied once whichever came.
    expect(facts[0]).toEqual({ eventId: 'd1.1', fact: noticeFactOf(single) });
    expect(noticeFactsOf(single)).toEqual([{ eventId: single.eventId, fact: noticeFactOf(single) }]);
    const s = noticeReducer.apply(noticeReducer.empty('maintenance:d2'), { ...batch, eventId: facts[1].eventId, payload: facts[1].fact });
    expect(s).toMatchObject({ source: 'maintenance', topic: 'window.scheduled', to: 'cto@acme.test', outcome: { v: 'sent', attempts: 1, id: 'd2.1' } });
    expect(noticeReducer.contributions(s)).toEqual([{ day: '2026-03-02', accountId: 'acme', inc: { 'n.total': 1, 'n.sent': 1 } }]);
    expect(noticeFactsOf(makeEnvelope('sladesk.evt.case.opened.v1', {}))).toEqual([]);
  });
});
