import { TimerHeap } from './timer-heap';

describe(TimerHeap.name, () => {
  it('gives back every loaded timer once, earliest first, across growth, retries and dropped slots', () => {
    const sut = new TimerHeap();
    const expected: { id: string; due: number; slot: number }[] = [];
    for (let c = 0; c < 5; c++) {
      const lines = Array.from({ length: 700 }, (_, i) => {
        const due = 1_000_000 + Math.floor(Math.random() * 100_000);
        const id = `case-${c}-${i}.first_response.1.breach`;
        expected.push({ id, due, slot: c });
        return `${id} ${c + 1} ${due}`;
      });
      expect(sut.addChunk(c, lines.join('\n'))).toBe(700);
    }
    sut.push({ id: 'retry.next_response.2.warning', v: 7, due: 5, slot: 9, attempts: 2, at: 999_999 });
    sut.removeSlot(3);
    const out = [];
    for (let p = sut.pop(); p; p = sut.pop()) out.push(p);
    expect(out[0]).toEqual({ id: 'retry.next_response.2.warning', v: 7, due: 5, slot: 9, attempts: 2, at: 999_999 });
    const rest = out.slice(1);
    expect(rest.map((p) => p.at)).toEqual([...rest.map((p) => p.at)].sort((a, b) => a - b));
    const want = expected.filter((e) => e.slot !== 3);
    expect(rest.map((p) => p.id).sort()).toEqual(want.map((e) => e.id).sort());
    expect(rest.every((p) => p.v === p.slot + 1 && p.due === p.at)).toBe(true);
    expect(sut.size).toBe(0);
    expect(sut.peekAt()).toBe(Infinity);
  });
});
