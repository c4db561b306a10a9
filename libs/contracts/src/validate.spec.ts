import { CreateCaseRequest } from './cases';
import { envelopeProblem, makeEnvelope } from './envelope';
import { Events } from './map';
import { validatePlain } from './validate';

describe(validatePlain.name, () => {
  const valid = {
    accountId: 'acme',
    contact: { name: 'Ada', email: 'ada@acme.test' },
    channel: 'email',
    subject: 'Hello',
    description: '',
  };

  it('accepts a valid inquiry and returns a class instance', () => {
    const r = validatePlain(CreateCaseRequest, valid);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value).toBeInstanceOf(CreateCaseRequest);
  });

  it('names every problem with its path, including nested and unknown fields', () => {
    const r = validatePlain(CreateCaseRequest, { ...valid, contact: { name: '', email: 'x' }, extra: 1 });
    expect(r.ok).toBe(false);
    const paths = !r.ok ? r.problems.map((p) => p.path).sort() : [];
    expect(paths).toEqual(['contact.email', 'contact.name', 'extra']);
  });

  it.each([null, [], 'text', 42])('rejects %p as a body', (body) => {
    expect(validatePlain(CreateCaseRequest, body).ok).toBe(false);
  });

  it('rejects an id that could smuggle an operator into a query', () => {
    expect(validatePlain(CreateCaseRequest, { ...valid, accountId: '$where' }).ok).toBe(false);
    expect(validatePlain(CreateCaseRequest, { ...valid, accountId: { $ne: 'x' } }).ok).toBe(false);
  });
});

describe(envelopeProblem.name, () => {
  it('accepts what makeEnvelope builds and keeps the correlation of its cause', () => {
    const e = makeEnvelope(Events.CaseOpened, { caseId: 'c' }, { correlationId: 'corr', causationId: 'cause' });
    expect(envelopeProblem(e)).toBeNull();
    expect(e).toMatchObject({ type: Events.CaseOpened, correlationId: 'corr', causationId: 'cause' });
  });

  it('starts a new correlation when there is no cause', () => {
    const e = makeEnvelope(Events.CaseOpened, {});
    expect(e.correlationId).toBe(e.eventId);
    expect(e.causationId).toBe(e.eventId);
  });

  it.each([
    [{}, 'envelope.eventId is missing'],
    [{ ...makeEnvelope('t', {}), occurredAt: 'yesterday' }, 'envelope.occurredAt is not an instant'],
    [{ ...makeEnvelope('t', {}), payload: 'x' }, 'envelope.payload is not an object'],
    [{ ...makeEnvelope('t', {}), eventId: 'has spaces' }, 'envelope.eventId is malformed'],
  ])('names what is wrong with %p', (value, problem) => {
    expect(envelopeProblem(value)).toBe(problem);
  });
});
