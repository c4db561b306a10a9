import { pacedInterval, SingleFlight } from './single-flight';

describe('pacedInterval', () => {
  it('keeps the interval while passes are short, and stretches it so that a job takes at most its share', () => {
    expect(pacedInterval(900_000, 0, 0.01)).toBe(900_000);
    expect(pacedInterval(900_000, 2_000, 0.01)).toBe(900_000); // 2 s every 15 min: 0.2 %
    expect(pacedInterval(900_000, 100_000, 0.01)).toBe(9_900_000); // 100 s: the next 2¾ h later
    expect(pacedInterval(100, 1_000, 0.5)).toBe(1_000);
  });
});

describe('SingleFlight with maxShare', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Runs a job whose passes take `passMs` for `forMs` of (fake) time; returns when each pass started and ended. */
  async function run(options: { intervalMs: number; maxShare?: number }, passMs: number, forMs: number) {
    const passes: { start: number; end?: number }[] = [];
    const job = new SingleFlight(
      async () => {
        const p: { start: number; end?: number } = { start: Date.now() };
        passes.push(p);
        await new Promise((r) => setTimeout(r, passMs));
        p.end = Date.now();
      },
      { name: 'test job', ...options },
    );
    const t0 = Date.now();
    job.start({ now: false });
    await jest.advanceTimersByTimeAsync(forMs);
    const stopping = job.stop(); // waits for the pass in progress, which needs the clock to move on
    await jest.advanceTimersByTimeAsync(passMs);
    await stopping;
    return passes.map((p) => ({ start: p.start - t0, end: p.end === undefined ? undefined : p.end - t0 }));
  }

  it('waits, after a pass, long enough that passes take at most the share of the time', async () => {
    const passes = await run({ intervalMs: 100, maxShare: 0.5 }, 1_000, 10_000);
    // the first after the interval, each next one its own duration after the previous one ended
    expect(passes.map((p) => p.start)).toEqual([100, 2_100, 4_100, 6_100, 8_100]);
    const busy = passes.reduce((a, p) => a + (Math.min(p.end!, 10_000) - p.start), 0);
    expect(busy / 10_000).toBeLessThanOrEqual(0.5);
  });

  it('without it, runs every interval whatever a pass takes (passes back to back when they are long)', async () => {
    const passes = await run({ intervalMs: 100 }, 1_000, 10_000);
    expect(passes.length).toBeGreaterThanOrEqual(9);
    for (let i = 1; i < passes.length; i++) expect(passes[i].start).toBe(passes[i - 1].end);
  });

  it('keeps the plain interval while passes are short', async () => {
    const passes = await run({ intervalMs: 1_000, maxShare: 0.01 }, 5, 10_000);
    // each pass's wait is counted from its end: 1,000 ms + 5 ms apart
    expect(passes.map((p) => p.start)).toEqual([1_000, 2_005, 3_010, 4_015, 5_020, 6_025, 7_030, 8_035, 9_040]);
  });
});
