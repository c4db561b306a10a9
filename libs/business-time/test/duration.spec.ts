import fc from 'fast-check';
import { BusinessTimeError, formatIsoDuration, parseIsoDuration } from '../src';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof BusinessTimeError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('parseIsoDuration', () => {
  it.each([
    ['PT4H', 14400],
    ['PT30M', 1800],
    ['PT45S', 45],
    ['P1D', 86400],
    ['P1W', 604800],
    ['P1DT2H30M', 95400],
    ['PT1.5H', 5400],
    ['PT0,5H', 1800],
    ['PT0.1H', 360],
    ['PT0S', 0],
    ['P0Y0M1D', 86400],
    ['pt8h', 28800],
  ])('%s = %i s', (text, seconds) => {
    expect(parseIsoDuration(text)).toBe(seconds);
  });

  it.each([
    ['', 'DURATION.INVALID'],
    ['P', 'DURATION.INVALID'],
    ['PT', 'DURATION.INVALID'],
    ['P1DT', 'DURATION.INVALID'],
    ['4H', 'DURATION.INVALID'],
    ['PT4', 'DURATION.INVALID'],
    ['-PT4H', 'DURATION.INVALID'],
    ['PT1.5H30M', 'DURATION.INVALID'],
    ['P1Y', 'DURATION.NOMINAL_UNIT'],
    ['P2M', 'DURATION.NOMINAL_UNIT'],
    ['PT0.5S', 'DURATION.NOT_WHOLE_SECONDS'],
    ['PT0.001M', 'DURATION.NOT_WHOLE_SECONDS'],
  ])('%j throws %s', (text, c) => {
    expect(code(() => parseIsoDuration(text))).toBe(c);
  });

  it('rejects non-strings with a typed error', () => {
    expect(code(() => parseIsoDuration(14400 as unknown as string))).toBe('DURATION.INVALID');
  });

  it('formatIsoDuration round-trips', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 365 * 86400 }),
        (s) => parseIsoDuration(formatIsoDuration(s)) === s,
      ),
    );
    expect(formatIsoDuration(14400)).toBe('PT4H');
    expect(formatIsoDuration(0)).toBe('PT0S');
    expect(formatIsoDuration(90000)).toBe('P1DT1H');
  });
});
