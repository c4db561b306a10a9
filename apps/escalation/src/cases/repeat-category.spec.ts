import { DayCount, repeatedCases, repeatedCasesByDay } from './repeat-category';

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

describe(repeatedCasesByDay.name, () => {
  const D0 = Date.UTC(2026, 0, 1) / DAY;
  /** Days as CountedSets keeps them, from a list of cases (the head holding at most `head` per day). */
  const counted = (cases: { id: string; at: number }[], head = 64): DayCount[] => {
    const byDay = new Map<number, { id: string; at: number }[]>();
    for (const x of cases) byDay.set(Math.floor(x.at / DAY), [...(byDay.get(Math.floor(x.at / DAY)) ?? []), x]);
    return [...byDay].map(([day, xs]) => {
      const sorted = [...xs].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
      return { day, n: xs.length, head: sorted.slice(0, head), ...(xs.length > head ? { cut: sorted[head - 1] } : {}) };
    });
  };

  it('gives what repeatedCases gives on every scenario above', () => {
    const [a, b, third] = [c('a', 0), c('b', 3), c('c', 10)];
    expect(repeatedCasesByDay(counted([a, b]), b, 30, 3)).toEqual([]);
    expect(repeatedCasesByDay(counted([a, b, third]), third, 30, 3)).toEqual([{ id: 'c', count: 3 }]);
    expect(repeatedCasesByDay(counted([third, b]), b, 30, 3)).toEqual([]);
    expect(repeatedCasesByDay(counted([third, b, a]), a, 30, 3)).toEqual([{ id: 'c', count: 3 }]);
    const [old, b2, x] = [c('old', 0), c('b', 31), c('x', 32)];
    expect(repeatedCasesByDay(counted([old, b2, x]), x, 30, 3)).toEqual([]);
    expect(repeatedCasesByDay(counted([c('a', 2), b2, x]), x, 30, 3)).toEqual([{ id: 'x', count: 3 }]);
    const same = [c('a', 1), c('b', 1), c('c', 1)];
    expect(repeatedCasesByDay(counted(same), same[0], 30, 3)).toEqual([{ id: 'c', count: 3 }]);
    const cases = [c('a', 0), c('b', 1), c('c', 2), c('d', 3)];
    expect(repeatedCasesByDay(counted(cases), cases[0], 30, 3).map((h) => h.id)).toEqual(['c', 'd']);
  });

  it('counts thousands of cases of one day from a bounded head: every case after the threshold is a hit, the first ones are not', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ id: `k${String(i).padStart(5, '0')}`, at: (D0 + 5) * DAY + i * 1000 }));
    const days = counted(many, 8);
    expect(days[0].head).toHaveLength(8);
    expect(repeatedCasesByDay(days, many[1], 30, 3).map((h) => h.id)).toEqual(['k00002', ...many.slice(3, 8).map((m) => m.id)]);
    expect(repeatedCasesByDay(days, many[4999], 30, 3)).toEqual([{ id: "k04999", count: 5000 }]);
    expect(repeatedCasesByDay(days, many[4999], 30, 5000)).toEqual([{ id: "k04999", count: 5000 }]);
    expect(repeatedCasesByDay(days, many[4999], 30, 5001)).toEqual([]);
  });

  it('sums whole earlier days of the window, without their members', () => {
    const earlier = { day: D0, n: 2000, head: [], cut: null };
    const me = { id: 'me', at: (D0 + 30) * DAY + 5 };
    expect(repeatedCasesByDay([earlier, { day: D0 + 30, n: 1, head: [me] }], me, 30, 3)).toEqual([{ id: 'me', count: 2001 }]);
    expect(repeatedCasesByDay([{ ...earlier, day: D0 - 1 }, { day: D0 + 30, n: 1, head: [me] }], me, 30, 3)).toEqual([]);
  });
});
