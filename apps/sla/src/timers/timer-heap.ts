import { TimerEntry } from './timer-store';

/** A loaded timer, materialised when it is taken out of the heap. */
export interface Pending extends TimerEntry {
  slot: number;
  attempts: number;
  /** When to try again after a failure. */
  at: number;
}

/**
 * Loaded timers as parallel typed arrays and the chunks' packed text, not one object per timer: a minute
 * of 1 M timers spread over 5 minutes is 200 k timers in memory, and objects that live a minute are what
 * makes a V8 heap (and the process RSS) grow. A binary min-heap of record numbers, ordered by firing time.
 */
export class TimerHeap {
  private heap = new Int32Array(1024);
  private at = new Float64Array(1024);
  private due = new Float64Array(1024);
  private ver = new Float64Array(1024);
  private slotOf = new Float64Array(1024);
  private attempts = new Uint8Array(1024);
  private textOf = new Int32Array(1024);
  private start = new Int32Array(1024);
  private n = 0;
  private records = 0;
  private readonly freeRecords: number[] = [];
  private readonly texts: (string | undefined)[] = [];
  private readonly textLive: number[] = [];
  private readonly freeTexts: number[] = [];

  get size(): number {
    return this.n;
  }

  /** Firing time of the earliest timer, or Infinity. */
  peekAt(): number {
    return this.n > 0 ? this.at[this.heap[0]!]! : Infinity;
  }

  /** Loads a chunk's packed timers (`<id> <version> <due>` lines); returns how many. */
  addChunk(slot: number, text: string): number {
    if (!text) return 0;
    const t = this.text(text);
    let count = 0;
    for (let pos = 0; pos < text.length; ) {
      let eol = text.indexOf('\n', pos);
      if (eol < 0) eol = text.length;
      const a = text.indexOf(' ', pos);
      const b = text.indexOf(' ', a + 1);
      const due = Number(text.slice(b + 1, eol));
      this.insert(slot, Number(text.slice(a + 1, b)), due, due, 0, t, pos);
      count++;
      pos = eol + 1;
    }
    this.textLive[t] = count;
    return count;
  }

  /** Puts back a timer to retry at `p.at`. */
  push(p: Pending): void {
    const t = this.text(`${p.id} `);
    this.textLive[t] = 1;
    this.insert(p.slot, p.v, p.due, p.at, p.attempts, t, 0);
  }

  pop(): Pending | undefined {
    if (this.n === 0) return undefined;
    const r = this.heap[0]!;
    this.n -= 1;
    if (this.n > 0) this.siftDown(this.heap[this.n]!);
    return this.release(r);
  }

  removeSlot(slot: number): void {
    const keep: number[] = [];
    for (let i = 0; i < this.n; i++) {
      const r = this.heap[i]!;
      if (this.slotOf[r] === slot) this.release(r);
      else keep.push(r);
    }
    this.n = 0;
    for (const r of keep) this.siftUp(r);
  }

  private text(s: string): number {
    const t = this.freeTexts.pop() ?? this.texts.length;
    this.texts[t] = s;
    return t;
  }

  private insert(slot: number, v: number, due: number, at: number, attempts: number, text: number, start: number): void {
    let r = this.freeRecords.pop();
    if (r === undefined) {
      if (this.records === this.at.length) this.grow();
      r = this.records++;
    }
    this.slotOf[r] = slot;
    this.ver[r] = v;
    this.due[r] = due;
    this.at[r] = at;
    this.attempts[r] = attempts;
    this.textOf[r] = text;
    this.start[r] = start;
    this.siftUp(r);
  }

  private release(r: number): Pending {
    const t = this.textOf[r]!;
    const text = this.texts[t]!;
    const s = this.start[r]!;
    const p: Pending = { id: text.slice(s, text.indexOf(' ', s)), v: this.ver[r]!, due: this.due[r]!, slot: this.slotOf[r]!, attempts: this.attempts[r]!, at: this.at[r]! };
    this.freeRecords.push(r);
    if (--this.textLive[t]! === 0) {
      this.texts[t] = undefined;
      this.freeTexts.push(t);
    }
    return p;
  }

  private siftUp(r: number): void {
    const h = this.heap.length === this.n ? this.growHeap() : this.heap;
    const key = this.at[r]!;
    let i = this.n++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (this.at[h[up]!]! <= key) break;
      h[i] = h[up]!;
      i = up;
    }
    h[i] = r;
  }

  /** Places record r (the former last) from the root down. */
  private siftDown(r: number): void {
    const h = this.heap;
    const key = this.at[r]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const rr = l + 1;
      const m = rr < this.n && this.at[h[rr]!]! < this.at[h[l]!]! ? rr : l;
      if (this.at[h[m]!]! >= key) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = r;
  }

  private growHeap(): Int32Array {
    const h = new Int32Array(this.heap.length * 2);
    h.set(this.heap);
    this.heap = h;
    return h;
  }

  private grow(): void {
    const size = this.at.length * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.at = f64(this.at);
    this.due = f64(this.due);
    this.ver = f64(this.ver);
    this.slotOf = f64(this.slotOf);
    this.textOf = i32(this.textOf);
    this.start = i32(this.start);
    const att = new Uint8Array(size);
    att.set(this.attempts);
    this.attempts = att;
  }
}
