import { SmtpClientLimits } from './smtp-client-limits';

describe(SmtpClientLimits.name, () => {
  it('caps open connections per address and frees a slot on close; a refused one is not counted', () => {
    const sut = new SmtpClientLimits(2, 0, 60_000);
    expect(sut.connect('10.0.0.1', 'a')).toBe(true);
    expect(sut.connect('10.0.0.1', 'b')).toBe(true);
    expect(sut.connect('10.0.0.1', 'c')).toBe(false);
    expect(sut.connect('10.0.0.2', 'd')).toBe(true);
    sut.disconnect('10.0.0.1', 'c'); // refused: changes nothing
    expect(sut.connect('10.0.0.1', 'e')).toBe(false);
    sut.disconnect('10.0.0.1', 'a');
    expect(sut.connect('10.0.0.1', 'e')).toBe(true);
  });

  it('counts mails per address in fixed windows and says how long to wait', () => {
    const sut = new SmtpClientLimits(5, 2, 60_000);
    const t0 = 1_800_000_000_000; // a window start
    expect(sut.startMail('10.0.0.1', t0)).toBeUndefined();
    expect(sut.startMail('10.0.0.1', t0 + 1_000)).toBeUndefined();
    expect(sut.startMail('10.0.0.1', t0 + 15_000)).toBe(45_000);
    expect(sut.startMail('10.0.0.2', t0 + 15_000)).toBeUndefined();
    expect(sut.startMail('10.0.0.1', t0 + 60_000)).toBeUndefined(); // the next window
  });

  it('0 turns the rate limit off', () => {
    const sut = new SmtpClientLimits(5, 0, 60_000);
    for (let i = 0; i < 1_000; i++) expect(sut.startMail('10.0.0.1', i)).toBeUndefined();
  });
});
