import { EventEnvelope, Events, makeEnvelope } from '@sladesk/contracts';
import fc from 'fast-check';
import { caseReducer, CaseState } from '../read-models/case-state';

const entry = (seq: number, kind: string, actor: { kind: string; name: string }, text: string, data?: object) => ({
  seq, kind, at: `2026-03-02T14:0${seq}:00.000Z`, recordedAt: `2026-03-02T14:0${seq}:00.000Z`, actor, text, ...(data ? { data } : {}), prevHash: '0'.repeat(64), hash: String(seq).repeat(64),
});
const ada = { kind: 'contact', name: 'Ada Lovelace' };
const carla = { kind: 'staff', name: 'Carla' };
const history: EventEnvelope[] = [
  makeEnvelope(Events.CaseOpened, { caseId: 'c1', number: 1, accountId: 'acme', channel: 'api', severity: 'high', category: 'technical', receivedAt: '2026-03-02T14:00:00.000Z' }),
  makeEnvelope(Events.CaseTimelineAppended, { caseId: 'c1', accountId: 'acme', entries: [entry(1, 'opened', ada, 'Ada writes: my serial is AE-1843', { subject: 'Ada cannot log in', contactEmail: 'ada@acme.test' })] }),
  makeEnvelope(Events.CaseTimelineAppended, { caseId: 'c1', accountId: 'acme', entries: [entry(2, 'response', carla, 'Hello Ada')] }),
  makeEnvelope(Events.CaseTimelineAppended, { caseId: 'c1', accountId: 'acme', entries: [entry(3, 'customer_reply', ada, 'Thanks, Carla')] }),
  makeEnvelope(Events.CaseTimelineAppended, { caseId: 'c1', accountId: 'acme', entries: [entry(4, 'analysis', carla, 'Ada Lovelace has a locked session.')] }),
  makeEnvelope(Events.CaseResolved, { caseId: 'c1', accountId: 'acme', at: '2026-03-03T10:00:00.000Z', by: { kind: 'staff', name: 'Carla' } }),
];
const erased = makeEnvelope(Events.ContactErased, { erasureId: 'e1', emailSha256: 'a'.repeat(64), accountId: 'acme', caseIds: ['c1'], reason: 'request', pseudonym: 'erased-contact-1234abcd', at: '2026-04-01T00:00:00.000Z' });

const fold = (events: EventEnvelope[]): CaseState => events.reduce((s, e) => caseReducer.apply(s, e), caseReducer.empty('c1'));

describe('an erased case in the reporting read model', () => {
  it('holds no name, address or text of the contact, whenever the erasure arrives and however often, and counts the same', () => {
    const plain = fold(history);
    const expected = fold([...history, erased]);
    const text = JSON.stringify(expected);
    for (const s of ['Ada', 'ada@acme.test', 'AE-1843', 'locked session']) expect({ s, found: text.includes(s) }).toEqual({ s, found: false });
    expect(expected).toMatchObject({ contact: { name: 'erased-contact-1234abcd', email: 'erased-contact-1234abcd@erased.invalid' }, subject: '[erased]', description: '' });
    expect(expected.steps['2']).toMatchObject({ actor: 'Carla', text: '' });
    expect(expected.steps['3']).toMatchObject({ actor: 'erased-contact-1234abcd', text: '' });
    expect(caseReducer.contributions(expected)).toEqual(caseReducer.contributions(plain));
    fc.assert(
      fc.property(fc.shuffledSubarray([...history, erased], { minLength: history.length + 1, maxLength: history.length + 1 }), fc.array(fc.nat(history.length), { maxLength: 3 }), (order, dups) => {
        expect(fold([...order, ...dups.map((i) => order[i])])).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
