import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Keys } from '../../common/keys';
import { BucketRef, Case, TimelineBucket, TimelineEntry } from '../case.schema';

/** The tail kept in the case document: at most this many entries and about this many bytes. */
export const TAIL_MAX_ENTRIES = 32;
export const TAIL_MAX_BYTES = 192 * 1024;

export const entryBytes = (e: TimelineEntry): number => Buffer.byteLength(JSON.stringify(e));

/**
 * A case's timeline beyond the document: the tail lives in the case (written atomically with the
 * change it records); when it outgrows its bounds, the oldest entries move into an immutable bucket
 * document first, then the case drops them in its next conditional update. A crash in between leaves
 * an unreferenced bucket (harmless: only the buckets the case names are read), never a lost entry.
 * The source of an archived entry (Idempotency-Key, channel message id) is kept in `intake_keys`, so
 * a retry is still recognised however old the entry.
 */
@Injectable()
export class TimelineStore {
  constructor(
    @InjectModel(TimelineBucket.name) private readonly buckets: Model<TimelineBucket>,
    private readonly keys: Keys,
  ) {}

  /** How many of the oldest tail entries must leave before `incoming` joins the tail (usually 0). */
  overflow(tail: TimelineEntry[], incoming: TimelineEntry[]): number {
    let count = tail.length + incoming.length;
    let bytes = [...tail, ...incoming].reduce((n, e) => n + entryBytes(e), 0);
    let k = 0;
    while (k < tail.length && (count > TAIL_MAX_ENTRIES || bytes > TAIL_MAX_BYTES)) {
      bytes -= entryBytes(tail[k]);
      count -= 1;
      k += 1;
    }
    return k;
  }

  /** Writes `entries` (the oldest of a tail) into their bucket; idempotent. Returns its reference. */
  async archive(caseId: string, entries: TimelineEntry[]): Promise<BucketRef> {
    const from = entries[0].seq;
    const to = entries[entries.length - 1].seq;
    const id = `${caseId}:${from}-${to}`;
    await Promise.all(
      entries
        .filter((e) => e.source)
        .map((e) => this.keys.put('src', `${caseId}|${e.source}`, { seq: e.seq, ...(e.requestHash ? { requestHash: e.requestHash } : {}) })),
    );
    try {
      await this.buckets.create({ _id: id, caseId, from, to, entries });
    } catch (e) {
      if (!isDuplicateKey(e)) throw e; // written before a crash: buckets never change
    }
    return { id, from, to };
  }

  /** The entry that a change with this source created, wherever it is now. */
  async findBySource(c: Case, source: string): Promise<TimelineEntry | undefined> {
    const inTail = c.timeline.find((e) => e.source === source);
    if (inTail) return inTail;
    if (!c.timelineBuckets?.length) return undefined;
    const key = await this.keys.get('src', `${c._id}|${source}`);
    if (key?.seq === undefined) return undefined;
    const entry = await this.entry(c, key.seq);
    return entry?.source === source ? entry : undefined;
  }

  async entry(c: Case, seq: number): Promise<TimelineEntry | undefined> {
    const inTail = c.timeline.find((e) => e.seq === seq);
    if (inTail) return inTail;
    const ref = (c.timelineBuckets ?? []).find((b) => b.from <= seq && seq <= b.to);
    if (!ref) return undefined;
    return (await this.bucket(ref)).find((e) => e.seq === seq);
  }

  /**
   * Entries from `fromSeq` on, at most `limit` of them and about `maxBytes` (at least one), with the
   * seq to continue from when there are more.
   */
  async page(c: Case, fromSeq: number, limit: number, maxBytes: number): Promise<{ entries: TimelineEntry[]; next?: number }> {
    const entries: TimelineEntry[] = [];
    let bytes = 0;
    let seq = Math.max(1, fromSeq);
    while (seq <= c.seq && entries.length < limit) {
      const chunk = await this.chunkAt(c, seq);
      if (!chunk.length) break;
      for (const e of chunk) {
        if (e.seq < seq) continue;
        const size = entryBytes(e);
        if (entries.length >= limit || (entries.length > 0 && bytes + size > maxBytes)) return { entries, next: e.seq };
        entries.push(e);
        bytes += size;
        seq = e.seq + 1;
      }
    }
    return seq <= c.seq ? { entries, next: seq } : { entries };
  }

  /** Every entry in order, one bucket at a time (chain verification). */
  async *all(c: Case): AsyncGenerator<TimelineEntry> {
    for (const ref of [...(c.timelineBuckets ?? [])].sort((a, b) => a.from - b.from)) yield* await this.bucket(ref);
    yield* c.timeline;
  }

  /**
   * Rewrites the archived entries of a case through `change` (personal data erasure: the only change a
   * bucket ever sees, and one that keeps every hash). Returns how many entries changed.
   */
  async rewriteBuckets(c: Case, change: (e: TimelineEntry) => TimelineEntry): Promise<number> {
    let changed = 0;
    for (const ref of c.timelineBuckets ?? []) {
      const entries = await this.bucket(ref);
      const next = entries.map(change);
      const n = next.filter((e, i) => e !== entries[i]).length;
      if (n) await this.buckets.updateOne({ _id: ref.id }, { $set: { entries: next } });
      changed += n;
    }
    return changed;
  }

  private async chunkAt(c: Case, seq: number): Promise<TimelineEntry[]> {
    const ref = (c.timelineBuckets ?? []).find((b) => b.from <= seq && seq <= b.to);
    return ref ? this.bucket(ref) : c.timeline;
  }

  private async bucket(ref: BucketRef): Promise<TimelineEntry[]> {
    const doc = await this.buckets.findById(ref.id).lean<TimelineBucket>();
    if (!doc) throw new Error(`timeline bucket ${ref.id} is missing`);
    return doc.entries;
  }
}
