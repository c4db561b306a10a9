import { mongo } from 'mongoose';
import { isDuplicate } from '../storage';

type Collection<T extends mongo.Document> = mongo.Collection<T>;

/** A durable timer: fire `id` at `due` (epoch ms). A new version of the same id supersedes the older ones. */
export interface TimerEntry {
  id: string;
  v: number;
  due: number;
}

/** A timer as read back from a chunk: `i`d, `v`ersion, `d`ue. */
export interface StoredTimer {
  i: string;
  v: number;
  d: number;
}

/**
 * A chunk packs its timers in one string, `<id> <version> <due>` per line (ids have no spaces): about
 * 50 bytes a timer instead of 170 as an array of documents. On FerretDB every lookup reads through the
 * collection's JSON, so its size is what a lookup costs (and FerretDB 1.x refuses nested arrays).
 */
interface ChunkDoc {
  _id: string;
  p?: string;
  closed?: boolean;
}

const pack = (list: readonly StoredTimer[]) => list.map((t) => `${t.i} ${t.v} ${t.d}`).join('\n');

interface LeaseDoc {
  _id: string;
  owner: string;
  until: Date;
  closed?: boolean;
}

interface MetaDoc {
  _id: string;
  slotMs?: number;
  slot?: number;
}

export interface Lease {
  slot: number;
  generation: number;
}

export type Claim = { kind: 'owned'; lease: Lease } | { kind: 'held'; until: number; owner: string } | { kind: 'closed' };

const CHUNK = 2000;

interface PendingSchedule {
  entries: readonly TimerEntry[];
  now: number;
  resolve: (slots: number[]) => void;
  reject: (e: unknown) => void;
}

/**
 * Timers in MongoDB, addressed by `_id` only.
 *
 * Due times are grouped in slots (10 s by default). Each slot is an append-only log of chunk documents
 * `<slot>:0`, `<slot>:1`, … written with unique inserts, and closed by a marker chunk once every timer in
 * it has fired; a writer that meets the marker moves on to the next slot. Ownership of a slot is a chain
 * of lease documents `<slot>:<generation>`: the first insert wins, and taking over an expired lease is
 * inserting the next generation, which again only one instance can do.
 *
 * Why only `_id` lookups and unique inserts: they are the operations that stay fast and atomic on every
 * MongoDB-compatible server we run. FerretDB 1.24 scans the whole collection for any other filter (an index
 * on the due time is not used) and does not make conditional updates atomic under concurrency, while
 * a duplicate `_id` is always refused.
 */
export class TimerStore {
  private readonly slots: Collection<ChunkDoc>;
  private readonly leases: Collection<LeaseDoc>;
  private readonly meta: Collection<MetaDoc>;
  /** Where the next append to a slot probably goes (saves probing from 0). */
  private readonly nextChunk = new Map<number, number>();
  private readonly leaseGeneration = new Map<number, number>();
  /** Calls of `schedule` waiting for the write under way to finish (group commit). */
  private readonly waiting: PendingSchedule[] = [];
  private flushing?: Promise<void>;
  slotMs: number;

  constructor(db: mongo.Db, requestedSlotMs: number, prefix = 'sla_timer') {
    this.slots = db.collection<ChunkDoc>(`${prefix}_slots`);
    this.leases = db.collection<LeaseDoc>(`${prefix}_leases`);
    this.meta = db.collection<MetaDoc>(`${prefix}_meta`);
    this.slotMs = requestedSlotMs;
  }

  /** The slot size is fixed by the first instance ever started: stored timers are laid out on that grid. */
  async init(): Promise<number> {
    try {
      await this.meta.insertOne({ _id: 'grid', slotMs: this.slotMs });
    } catch (e) {
      if (!isDuplicate(e)) throw e;
    }
    const grid = await this.meta.findOne({ _id: 'grid' });
    this.slotMs = grid?.slotMs ?? this.slotMs;
    return this.slotMs;
  }

  slotOf(ms: number): number {
    return Math.floor(ms / this.slotMs);
  }

  slotEnd(slot: number): number {
    return (slot + 1) * this.slotMs;
  }

  /**
   * Stores timers in the slots of their due times (an overdue one in the current slot). Returns the slots
   * written once every timer is stored.
   *
   * Group commit: calls that arrive while a write is under way are stored together by the next one, one
   * chunk per slot for all of them (under load, the timers of many cases share their 10-second slots), so
   * the documents written follow the slots, not the cases. An idle store writes at once.
   */
  schedule(entries: readonly TimerEntry[], now = Date.now()): Promise<number[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return new Promise<number[]>((resolve, reject) => {
      this.waiting.push({ entries, now, resolve, reject });
      if (!this.flushing) this.flushing = this.flushAll();
    });
  }

  private async flushAll(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        await this.write(batch).catch((e: unknown) => {
          for (const w of batch) w.reject(e);
        });
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(batch: PendingSchedule[]): Promise<void> {
    // slot → the timers going there, and which callers they came from
    const bySlot = new Map<number, { list: StoredTimer[]; from: number[] }>();
    batch.forEach(({ entries, now }, caller) => {
      const current = this.slotOf(now);
      for (const t of entries) {
        const slot = Math.max(this.slotOf(t.due), current);
        let group = bySlot.get(slot);
        if (!group) bySlot.set(slot, (group = { list: [], from: [] }));
        group.list.push({ i: t.id, v: t.v, d: t.due });
        group.from.push(caller);
      }
    });
    const written = batch.map(() => new Set<number>());
    for (const [slot, { list, from }] of bySlot) {
      for (let i = 0; i < list.length; i += CHUNK) {
        const s = await this.append(slot, list.slice(i, i + CHUNK));
        for (const caller of from.slice(i, i + CHUNK)) written[caller]!.add(s);
      }
    }
    const current = this.slotOf(Date.now());
    if (this.nextChunk.size > 50_000) {
      for (const s of this.nextChunk.keys()) if (s < current) this.nextChunk.delete(s);
    }
    batch.forEach((w, caller) => w.resolve([...written[caller]!]));
  }

  private async append(slot: number, raw: StoredTimer[]): Promise<number> {
    let s = slot;
    let k = this.nextChunk.get(s) ?? 0;
    for (;;) {
      try {
        await this.slots.insertOne({ _id: `${s}:${k}`, p: pack(raw) });
        this.nextChunk.set(s, k + 1);
        return s;
      } catch (e) {
        if (!isDuplicate(e)) throw e;
      }
      const taken = await this.slots.findOne({ _id: `${s}:${k}` });
      if (taken?.closed) {
        // fired and closed already: the timer goes to the next slot and fires from there
        this.nextChunk.set(s, k);
        s += 1;
        k = this.nextChunk.get(s) ?? 0;
      } else {
        k += 1;
      }
    }
  }

  /** Chunk k of a slot: its timers packed as `<id> <version> <due>` lines, a close marker, or null when there is none (yet). */
  async read(slot: number, k: number): Promise<{ text: string; closed: boolean } | null> {
    const doc = await this.slots.findOne({ _id: `${slot}:${k}` });
    if (!doc) return null;
    return { closed: doc.closed === true, text: doc.p ?? '' };
  }

  /** Closes a slot after chunk k-1; false when a timer was appended at k meanwhile (read it, then retry). */
  async close(slot: number, k: number): Promise<boolean> {
    try {
      await this.slots.insertOne({ _id: `${slot}:${k}`, closed: true });
      return true;
    } catch (e) {
      if (isDuplicate(e)) return false;
      throw e;
    }
  }

  async claim(slot: number, owner: string, leaseMs: number, now = Date.now()): Promise<Claim> {
    let g = this.leaseGeneration.get(slot) ?? 0;
    const until = () => new Date(Date.now() + leaseMs);
    for (;;) {
      const id = `${slot}:${g}`;
      let doc = await this.leases.findOne({ _id: id });
      if (!doc) {
        try {
          await this.leases.insertOne({ _id: id, owner, until: until() });
          this.leaseGeneration.set(slot, g);
          return { kind: 'owned', lease: { slot, generation: g } };
        } catch (e) {
          if (!isDuplicate(e)) throw e;
          doc = await this.leases.findOne({ _id: id });
          if (!doc) continue;
        }
      }
      if (doc.closed) return { kind: 'closed' };
      if (await this.leases.findOne({ _id: `${slot}:${g + 1}` }, { projection: { _id: 1 } })) {
        g += 1;
        continue;
      }
      this.leaseGeneration.set(slot, g);
      if (doc.owner === owner) return { kind: 'owned', lease: { slot, generation: g } };
      if (doc.until.getTime() > now) return { kind: 'held', until: doc.until.getTime(), owner: doc.owner };
      try {
        await this.leases.insertOne({ _id: `${slot}:${g + 1}`, owner, until: until() });
        this.leaseGeneration.set(slot, g + 1);
        return { kind: 'owned', lease: { slot, generation: g + 1 } };
      } catch (e) {
        if (!isDuplicate(e)) throw e;
        g += 1;
      }
    }
  }

  /** Extends a lease; false if another instance took the slot over (a later generation exists). */
  async renew(lease: Lease, leaseMs: number): Promise<boolean> {
    if (await this.superseded(lease)) return false;
    // Only the holder of this generation ever writes it, so this plain update cannot race.
    await this.leases.updateOne({ _id: `${lease.slot}:${lease.generation}` }, { $set: { until: new Date(Date.now() + leaseMs) } });
    return true;
  }

  async superseded(lease: Lease): Promise<boolean> {
    return (await this.leases.findOne({ _id: `${lease.slot}:${lease.generation + 1}` }, { projection: { _id: 1 } })) !== null;
  }

  async markClosed(lease: Lease): Promise<void> {
    await this.leases.updateOne({ _id: `${lease.slot}:${lease.generation}` }, { $set: { closed: true } });
  }

  /** The oldest slot that may still hold timers to fire (every slot before it is closed). */
  async low(): Promise<number | undefined> {
    return (await this.meta.findOne({ _id: 'low' }))?.slot;
  }

  async setLow(slot: number): Promise<void> {
    await this.meta.updateOne({ _id: 'low' }, { $max: { slot } }, { upsert: true }).catch((e) => {
      if (!isDuplicate(e)) throw e;
    });
  }

  /** Deletes the documents of a closed slot (best effort; probing ids from 0). */
  async purge(slot: number): Promise<void> {
    for (let k = 0; ; k++) {
      const r = await this.slots.deleteOne({ _id: `${slot}:${k}` });
      if (r.deletedCount === 0) break;
    }
    for (let g = 0; ; g++) {
      const r = await this.leases.deleteOne({ _id: `${slot}:${g}` });
      if (r.deletedCount === 0) break;
    }
  }
}
