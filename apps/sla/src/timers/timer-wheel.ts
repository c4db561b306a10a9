import { Logger } from '@nestjs/common';
import { Claim, Lease, TimerEntry, TimerStore } from './timer-store';
import { Pending, TimerHeap } from './timer-heap';

export type FireHandler = (entry: TimerEntry) => Promise<void>;

export interface TimerWheelOptions {
  /** This instance, as written in the leases it takes. */
  owner: string;
  /** How far ahead slots are claimed and their timers loaded into memory. */
  horizonMs: number;
  /** A slot whose lease is not renewed within this time is taken over by another instance. */
  leaseMs: number;
  /** How often the wheel looks for new slots, new timers in its slots, and slots to close. */
  pollMs: number;
  /** Handlers running at once. */
  concurrency: number;
  /** A timer whose handler keeps failing is given up after this many attempts (and logged). */
  maxAttempts: number;
  /** Closed slots' documents are deleted this long after they closed; 0 keeps them. */
  retentionMs: number;
  /** Slots visited per pass when catching up after a long stop. */
  catchUpSlotsPerPass?: number;
  /**
   * Memory bound: while this many timers are loaded, slots more than one ahead are claimed later
   * (a dense minute is then loaded a slot at a time instead of all at once).
   */
  maxLoaded?: number;
  onFired?: (entry: TimerEntry, latenessMs: number) => void;
}

interface SlotState {
  slot: number;
  status: 'owned' | 'held' | 'closed';
  lease?: Lease;
  heldUntil?: number;
  /** Next chunk to read. */
  nextChunk: number;
  /** Loaded timers not yet fired successfully. */
  remaining: number;
  renewedAt: number;
  refreshedAt?: number;
  busy?: Promise<void>;
}

/** Chunks of a slot read at once once one new chunk was found. */
const READ_AHEAD = 8;
/** Fallback poll of slots more than two slots ahead (they are also loaded on every NATS hint). */
const FAR_REFRESH_MS = 5000;

/**
 * The in-memory side of the durable timers: claims the slots of the next minute (and every older slot
 * not yet closed, oldest first, so what became overdue while no instance ran fires first), loads their
 * timers into a heap, fires each at its due time, and closes a slot once all of its timers fired.
 * Firing is at-least-once; handlers make it exactly-once (the event id is `timerId:version`).
 */
export class TimerWheel {
  private readonly logger = new Logger(TimerWheel.name);
  private readonly slots = new Map<number, SlotState>();
  private readonly heap = new TimerHeap();
  private readonly closedAt: { slot: number; at: number }[] = [];
  private cursor = 0;
  private lowWrittenAt = 0;
  private tickTimer?: NodeJS.Timeout;
  private fireTimer?: NodeJS.Timeout;
  private fireAt = Infinity;
  private running = 0;
  private ticking?: Promise<void>;
  private tickAgain = false;
  private stopped = true;
  private firingEnabled = false;
  private readonly idle: (() => void)[] = [];
  private passes = 0;
  private lastPassMs = 0;
  private passStartedAt = 0;

  constructor(
    private readonly store: TimerStore,
    private readonly handler: FireHandler,
    private readonly options: TimerWheelOptions,
  ) {}

  /** Starts claiming and loading; firing waits for `enableFiring` (e.g. until the event consumers caught up). */
  async start(firing = true): Promise<void> {
    await this.store.init();
    const now = Date.now();
    this.cursor = Math.min((await this.store.low()) ?? this.store.slotOf(now), this.store.slotOf(now));
    this.stopped = false;
    this.firingEnabled = firing;
    this.tick();
  }

  enableFiring(): void {
    this.firingEnabled = true;
    this.arm();
  }

  /** A timer was just stored in `slot`: load it now if the slot is ours, instead of at the next poll. */
  hint(slot: number): void {
    if (this.stopped) return;
    const st = this.slots.get(slot);
    if (st?.status === 'owned') this.refresh(st).catch((e) => this.logger.warn(`could not load slot ${slot}: ${(e as Error).message}`));
    else if (!st && slot <= this.store.slotOf(Date.now() + this.options.horizonMs)) this.tick();
  }

  get stats() {
    let owned = 0;
    for (const s of this.slots.values()) if (s.status === 'owned') owned++;
    const next = this.heap.peekAt();
    return {
      pending: this.heap.size,
      running: this.running,
      ownedSlots: owned,
      cursor: this.cursor,
      nextDueInMs: next === Infinity ? null : next - Date.now(),
      fireArmedInMs: this.fireTimer ? this.fireAt - Date.now() : null,
      passes: this.passes,
      lastPassMs: this.lastPassMs,
      passRunningMs: this.passStartedAt ? Date.now() - this.passStartedAt : 0,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.tickTimer);
    clearTimeout(this.fireTimer);
    await this.ticking;
    if (this.running > 0) await new Promise<void>((r) => this.idle.push(r));
  }

  // ---- polling ----------------------------------------------------------------------------------

  private tick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    clearTimeout(this.tickTimer);
    this.passStartedAt = Date.now();
    this.ticking = this.pass()
      .catch((e) => this.logger.warn(`timer pass failed, retrying: ${(e as Error).message}`))
      .finally(() => {
        this.ticking = undefined;
        this.passes += 1;
        this.lastPassMs = Date.now() - this.passStartedAt;
        this.passStartedAt = 0;
        if (this.stopped) return;
        if (this.tickAgain) {
          this.tickAgain = false;
          setImmediate(() => this.tick());
        } else {
          this.tickTimer = setTimeout(() => this.tick(), this.options.pollMs);
        }
      });
  }

  private async pass(): Promise<void> {
    const now = Date.now();
    const last = this.store.slotOf(now + this.options.horizonMs);
    const budget = this.options.catchUpSlotsPerPass ?? 240;
    const work: Promise<void>[] = [];
    const soon = this.store.slotOf(now) + 1;
    const full = () => this.heap.size >= (this.options.maxLoaded ?? Infinity);
    let loadingAhead = 0;
    const visit = async (s: number) => {
      const st = this.slots.get(s);
      if (!st || (st.status === 'held' && (st.heldUntil ?? 0) <= Date.now())) {
        if (s <= soon) return this.claim(s);
        // slots further ahead: one at a time, and only while memory allows (loading is CPU work that delays firing)
        if (full() || loadingAhead > 0) return;
        loadingAhead++;
        await this.claim(s).finally(() => loadingAhead--);
      } else if (st.status === 'owned') await this.maintain(st);
    };
    // Oldest first, a few at a time: overdue slots are claimed (and fire) before the horizon is loaded.
    for (let s = this.cursor, visited = 0; s <= last && visited < budget; s++, visited++) {
      work.push(visit(s));
      if (work.length >= 8) await Promise.all(work.splice(0));
    }
    await Promise.all(work);
    this.advanceCursor(now);
    this.arm();
    await this.purge(now);
  }

  private async claim(slot: number): Promise<void> {
    const now = Date.now();
    if (this.store.slotEnd(slot) <= now) {
      // An old slot nobody wrote to closes without a lease.
      const first = await this.store.read(slot, 0);
      if (!first && (await this.store.close(slot, 0))) return this.setClosed(slot);
      if (first?.closed) return this.setClosed(slot);
    }
    const claim: Claim = await this.store.claim(slot, this.options.owner, this.options.leaseMs, now);
    if (claim.kind === 'closed') return this.setClosed(slot);
    if (claim.kind === 'held') {
      this.slots.set(slot, { slot, status: 'held', heldUntil: claim.until, nextChunk: 0, remaining: 0, renewedAt: 0 });
      return;
    }
    const st: SlotState = { slot, status: 'owned', lease: claim.lease, nextChunk: 0, remaining: 0, renewedAt: Date.now() };
    this.slots.set(slot, st);
    await this.refresh(st);
  }

  /** Reads the chunks appended to an owned slot since the last read (a few at a time), arming as they come. */
  private refresh(st: SlotState): Promise<void> {
    const run = async () => {
      st.refreshedAt = Date.now();
      // One read while nothing new is there (the common case of a poll), several at once after a hit.
      for (let ahead = 1; ; ahead = READ_AHEAD) {
        const from = st.nextChunk;
        const chunks = await Promise.all(Array.from({ length: ahead }, (_, i) => this.store.read(st.slot, from + i)));
        for (const chunk of chunks) {
          if (!chunk) return;
          if (chunk.closed) {
            // the previous owner fired everything and closed it, then died before saying so
            await this.store.markClosed(st.lease!);
            this.drop(st);
            this.setClosed(st.slot);
            return;
          }
          st.nextChunk += 1;
          st.remaining += this.heap.addChunk(st.slot, chunk.text);
          this.arm();
        }
      }
    };
    st.busy = (st.busy ?? Promise.resolve()).then(run, run).finally(() => this.arm());
    return st.busy;
  }

  private async maintain(st: SlotState): Promise<void> {
    const now = Date.now();
    if (now - st.renewedAt >= this.options.leaseMs / 3) {
      if (!(await this.store.renew(st.lease!, this.options.leaseMs))) {
        this.logger.warn(`slot ${st.slot} was taken over by another instance`);
        this.drop(st);
        this.slots.set(st.slot, { slot: st.slot, status: 'held', heldUntil: now + this.options.leaseMs, nextChunk: 0, remaining: 0, renewedAt: 0 });
        return;
      }
      st.renewedAt = now;
    }
    // New timers are announced over NATS; polling is the fallback, slower for slots further ahead.
    const ahead = st.slot * this.store.slotMs - now;
    if (now - (st.refreshedAt ?? 0) >= (ahead > 2 * this.store.slotMs ? FAR_REFRESH_MS : this.options.pollMs)) await this.refresh(st);
    if (this.store.slotEnd(st.slot) <= Date.now() && st.remaining === 0 && st.status === 'owned') {
      if (await this.store.close(st.slot, st.nextChunk)) {
        await this.store.markClosed(st.lease!);
        this.setClosed(st.slot);
      } else {
        await this.refresh(st);
      }
    }
  }

  private drop(st: SlotState): void {
    this.heap.removeSlot(st.slot);
    st.remaining = 0;
  }

  private setClosed(slot: number): void {
    this.slots.set(slot, { slot, status: 'closed', nextChunk: 0, remaining: 0, renewedAt: 0 });
    if (this.options.retentionMs > 0) this.closedAt.push({ slot, at: Date.now() });
  }

  private advanceCursor(now: number): void {
    while (this.slots.get(this.cursor)?.status === 'closed') {
      this.slots.delete(this.cursor);
      this.cursor += 1;
    }
    if (now - this.lowWrittenAt > 5000) {
      this.lowWrittenAt = now;
      void this.store.setLow(this.cursor).catch((e) => this.logger.warn(`could not record the timer low-water mark: ${(e as Error).message}`));
    }
  }

  private async purge(now: number): Promise<void> {
    while (this.closedAt.length > 0 && this.closedAt[0]!.at + this.options.retentionMs <= now && this.closedAt[0]!.slot < this.cursor) {
      const { slot } = this.closedAt.shift()!;
      await this.store.purge(slot).catch((e) => this.logger.warn(`could not purge timer slot ${slot}: ${(e as Error).message}`));
    }
  }

  // ---- firing -----------------------------------------------------------------------------------

  private arm(): void {
    if (this.stopped || !this.firingEnabled) return;
    const next = this.heap.peekAt();
    if (next === Infinity) return;
    if (next >= this.fireAt && this.fireTimer) return;
    clearTimeout(this.fireTimer);
    this.fireAt = next;
    this.fireTimer = setTimeout(() => {
      this.fireTimer = undefined;
      this.fireAt = Infinity;
      this.fire();
    }, Math.max(0, next - Date.now()));
  }

  private fire(): void {
    if (this.stopped || !this.firingEnabled) return;
    const now = Date.now();
    while (this.running < this.options.concurrency && this.heap.peekAt() <= now) {
      const p = this.heap.pop()!;
      const st = this.slots.get(p.slot);
      if (st?.status !== 'owned') continue;
      this.running += 1;
      void this.run(p, st);
    }
    this.arm();
  }

  private async run(p: Pending, st: SlotState): Promise<void> {
    try {
      await this.handler({ id: p.id, v: p.v, due: p.due });
      st.remaining -= 1;
      this.options.onFired?.(p, Date.now() - p.due);
    } catch (e) {
      p.attempts += 1;
      if (p.attempts >= this.options.maxAttempts) {
        this.logger.error(`timer ${p.id}:${p.v} given up after ${p.attempts} attempts: ${(e as Error).message}`);
        st.remaining -= 1;
      } else {
        p.at = Date.now() + Math.min(30_000, 250 * 2 ** p.attempts);
        this.logger.warn(`timer ${p.id}:${p.v} failed (attempt ${p.attempts}), retrying: ${(e as Error).message}`);
        if (st.status === 'owned' && this.slots.get(p.slot) === st) this.heap.push(p);
      }
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const r of this.idle.splice(0)) r();
      this.fire();
    }
  }
}
