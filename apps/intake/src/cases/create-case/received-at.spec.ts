import { AppError } from '@sladesk/contracts';
import { assertNotInFuture, notAfter } from './received-at';

const now = new Date('2026-11-27T10:00:00.000Z');
const FIVE_MINUTES = 5 * 60_000;
const at = (iso: string) => new Date(iso);

function refusal(receivedAt: Date, skewMs = FIVE_MINUTES) {
  try {
    assertNotInFuture(receivedAt, now, skewMs);
    return null;
  } catch (e) {
    return e instanceof AppError ? { code: e.code, details: e.details } : e;
  }
}

describe('an inquiry received in the future', () => {
  it('is accepted up to the allowed clock skew ahead of our clock, and any time in the past', () => {
    expect(refusal(at('2026-11-27T10:05:00.000Z'))).toBeNull();
    expect(refusal(at('2026-11-27T09:00:00.000Z'))).toBeNull();
    expect(refusal(at('1999-01-01T00:00:00.000Z'))).toBeNull();
  });

  it('is refused with CASE.RECEIVED_IN_FUTURE one millisecond past the skew, saying what would pass', () => {
    expect(refusal(at('2026-11-27T10:05:00.001Z'))).toEqual({
      code: 'CASE.RECEIVED_IN_FUTURE',
      details: { receivedAt: '2026-11-27T10:05:00.001Z', latestAccepted: '2026-11-27T10:05:00.000Z' },
    });
    expect(refusal(at('2099-01-01T00:00:00.000Z'))).toMatchObject({ code: 'CASE.RECEIVED_IN_FUTURE' });
  });

  it('is refused at once with no skew allowed', () => {
    expect(refusal(at('2026-11-27T10:00:00.001Z'), 0)).toMatchObject({ code: 'CASE.RECEIVED_IN_FUTURE' });
    expect(refusal(now, 0)).toBeNull();
  });

  it('is recorded as received now when it lies ahead of our clock (nobody asked after we received it)', () => {
    expect(notAfter(at('2026-11-27T10:04:00.000Z'), now)).toEqual(now);
    expect(notAfter(at('2026-11-27T09:59:59.999Z'), now)).toEqual(at('2026-11-27T09:59:59.999Z'));
  });
});
