import { repeatedCases } from './repeat-category';

const DAY = 86_400_000;
const W = 30 * DAY;
const c = (id: string, day: number) => ({ id, at: Date.UTC(2026, 0, 1) + day * DAY });

describe(repeatedCases.name, () => {
  it('engages executives at the third case within 30 days, not at the first two', () => {
    const [a, b, third] = [c('a', 0), c('b', 3), c('c', 10)];
    expect(repeatedCases([a], a, W, 3)).toEqual([]);
    expect(repeatedCases([a, b], b, W, 3)).toEqual([]);
    expect(repeatedCases([a, b, third], third, W, 3)).toEqual([{ id: 'c', count: 3 }]);
  });

  it('finds the third case when the cases are heard of in another order (the last one heard sees it)', () => {
    const [a, b, third] = [c('a', 0), c('b', 3), c('c', 10)];
    // "c" was heard of first (alone), then "b", then "a": when "a" arrives, "c" is the third case.
    expect(repeatedCases([third], third, W, 3)).toEqual([]);
    expect(repeatedCases([third, b], b, W, 3)).toEqual([]);
    expect(repeatedCases([third, b, a], a, W, 3)).toEqual([{ id: 'c', count: 3 }]);
  });

  it('does not count cases outside the window', () => {
    const old = c('old', 0);
    const [b, x] = [c('b', 31), c('x', 32)];
    expect(repeatedCases([old, b, x], x, W, 3)).toEqual([]);
    expect(repeatedCases([c('a', 2), b, x], x, W, 3)).toEqual([{ id: 'x', count: 3 }]);
  });

  it('orders cases received at the same instant by id, so exactly one of them is the third', () => {
    const same = [c('a', 1), c('b', 1), c('c', 1)];
    expect(repeatedCases(same, same[0], W, 3)).toEqual([{ id: 'c', count: 3 }]);
  });

  it('counts every later case in the window that now reaches the threshold', () => {
    const cases = [c('a', 0), c('b', 1), c('c', 2), c('d', 3)];
    expect(repeatedCases(cases, cases[0], W, 3).map((h) => h.id)).toEqual(['c', 'd']);
  });
});
