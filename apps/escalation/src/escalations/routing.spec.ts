import { leastLoaded, NEXT_LEVEL } from './routing.service';

describe(leastLoaded.name, () => {
  it('picks the member with the fewest open cases', () => {
    expect(leastLoaded([3, 1, 2])).toBe(1);
  });

  it('breaks ties by team order (members are sorted by id)', () => {
    expect(leastLoaded([0, 0])).toBe(0);
    expect(leastLoaded([2, 1, 1])).toBe(1);
  });
});

describe('NEXT_LEVEL', () => {
  it('moves tier 1 to tier 2 to executives, and no further', () => {
    expect(NEXT_LEVEL.tier1).toBe('tier2');
    expect(NEXT_LEVEL.tier2).toBe('executive');
    expect(NEXT_LEVEL.executive).toBeUndefined();
  });
});
