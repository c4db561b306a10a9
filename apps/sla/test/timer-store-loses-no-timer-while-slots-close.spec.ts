import { testMongoUrl } from '@sladesk/testing';
import mongoose from 'mongoose';
import { TimerEntry, TimerStore } from '../src/timers/timer-store';
import { TimerWheel } from '../src/timers/timer-wheel';

const wheelOptions = (owner: string) => ({ owner, horizonMs: 3000, leaseMs: 1500, pollMs: 100, concurrency: 8, maxAttempts: 3, retentionMs: 0 });

describe(TimerWheel.name, () => {
  const url = testMongoUrl('timer_store');
  let a: mongoose.Connection;
  let b: mongoose.Connection;

  beforeAll(async () => {
    a = await mongoose.createConnection(url).asPromise();
    b = await mongoose.createConnection(url).asPromise();
  });
  afterAll(async () => {
    await a.dropDatabase();
    await a.close();
    await b.close();
  });

  it('fires every timer written by other instances while its slots fill up, fire and close, each once per wheel', async () => {
    const fired = new Map<string, number>();
    const record = (who: string) => async (t: TimerEntry) => {
      fired.set(`${t.id}`, (fired.get(t.id) ?? 0) + 1);
      if (t.due > Date.now()) throw new Error(`${who} fired ${t.id} early`);
    };
    const wheels = [new TimerWheel(new TimerStore(a.db!, 1000), record('a'), wheelOptions('a')), new TimerWheel(new TimerStore(b.db!, 1000), record('b'), wheelOptions('b'))];
    await Promise.all(wheels.map((w) => w.start()));

    // Three writers, each with its own store, keep adding timers due now or within 1.5 s for 4 seconds,
    // so appends race with the owner firing and closing the same slots.
    const writers = [new TimerStore(a.db!, 1000), new TimerStore(b.db!, 1000), new TimerStore(a.db!, 1000)];
    await Promise.all(writers.map((s) => s.init()));
    const ids: string[] = [];
    const until = Date.now() + 4000;
    await Promise.all(
      writers.map(async (store, w) => {
        for (let i = 0; Date.now() < until; i++) {
          const id = `w${w}-${i}`;
          ids.push(id);
          await store.schedule([{ id, v: 1, due: Date.now() + Math.floor(Math.random() * 1500) - 200 }]);
        }
      }),
    );
    const deadline = Date.now() + 15_000;
    while (ids.some((id) => !fired.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await Promise.all(wheels.map((w) => w.stop()));

    expect(ids.length).toBeGreaterThan(50);
    expect(ids.filter((id) => !fired.has(id))).toEqual([]);
    // leases: one instance fires a slot; a second firing only happens on a lease takeover (none here)
    expect([...fired.values()].filter((n) => n > 1)).toEqual([]);
  });
});
