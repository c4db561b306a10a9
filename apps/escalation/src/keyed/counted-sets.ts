import { encodeFieldKey, decodeFieldKey, isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ID_SETS } from './id-sets';

/** How many members of a day set are listed by name (the earliest received): ranks are exact up to here. */
export const HEAD_SIZE = 64;
/** Marker document: the sets written by the old layout (a map of every member) have been converted. */
export const COUNTED_MARKER = '_meta:counted-sets-v1';

/** A case received at `at` (ms), ordered by (at, id). */
export interface Member {
  id: string;
  at: number;
}
export const before = (a: Member, b: Member): boolean => a.at < b.at || (a.at === b.at && a.id < b.id);

/**
 * One change of one case's membership in one counted set, recorded on the case (`setOps`) before it
 * is applied to the set, applied at most once (the set remembers its id until the case has forgotten
 * it), then forgotten by both. `at` (when the case was received) makes the set keep a head.
 */
export interface SetOp {
  id: string;
  set: string;
  d: 1 | -1;
  at?: number;
}

/** What a counted set says: its size, its reservation revision, and (day sets) the earliest members by name. */
export interface Counted {
  n: number;
  rev: number;
  /** Listed members (all of them received before `cut`), in (at, id) order. */
  head: Member[];
  /** Every member not listed is at or after it; `null`: unlisted members may be anywhere (a degraded head). */
  cut?: Member | null;
  /** Operations applied (epoch ms) or voided, not yet forgotten by their case. */
  ops: Map<string, number | 'void'>;
}

/**
 * The stored shape, `esc_sets/<set>`: `{ n, rev, v, o: {<op id>: ms | 'void'}, h?: {<case id>: at}, cut?: [at, id] }`.
 * `rev` moves only with reservations (routing's compare-and-set), `v` with every change. The document
 * holds no list of every member: its size stays bounded by `HEAD_SIZE` plus the operations in flight,
 * whatever the number of cases.
 */
interface CountDoc {
  _id: string;
  n?: number;
  rev?: number;
  v?: number;
  o?: Record<string, number | 'void'>;
  h?: Record<string, number>;
  cut?: [number, string];
  /** The old layout: every member. */
  m?: Record<string, number>;
}

const isLegacy = (doc: CountDoc | null): doc is CountDoc & { m: Record<string, number> } => !!doc && doc.m !== undefined && doc.n === undefined;
const opField = (id: string) => `o.${encodeFieldKey(id)}`;
/** Sets this service counts (role sets keep their members: they are as big as the staff). */
export const isCountedSet = (id: string): boolean => id.startsWith('load:') || id.startsWith('repeat:');

function parse(doc: CountDoc | null): Counted {
  const head = Object.entries(doc?.h ?? {})
    .map(([k, at]) => ({ id: decodeFieldKey(k), at }))
    .sort((a, b) => (before(a, b) ? -1 : 1));
  const n = doc?.n ?? 0;
  const cut = doc?.cut ? { at: doc.cut[0], id: doc.cut[1] } : n > head.length && doc?.h ? null : undefined;
  return {
    n,
    rev: doc?.rev ?? 0,
    head,
    ...(cut !== undefined ? { cut } : {}),
    ops: new Map(Object.entries(doc?.o ?? {}).map(([k, v]) => [decodeFieldKey(k), v])),
  };
}

/**
 * Counted sets by `_id`: the open cases a staff member owns (`load:<staff>`), the cases of one
 * account and category received on one day (`repeat:…`). The members themselves are known to their
 * cases (`esc_cases.memberOf`, bounded per case): a set keeps only how many there are, and day sets
 * the earliest `HEAD_SIZE` by name (what "the Nth case" needs).
 */
@Injectable()
export class CountedSets implements OnApplicationBootstrap {
  private readonly logger = new Logger(CountedSets.name);

  constructor(@InjectModel(ID_SETS) private readonly model: Model<CountDoc>) {}

  private get col() {
    return this.model.collection;
  }

  private async load(set: string): Promise<CountDoc | null> {
    for (let i = 0; i < 3; i++) {
      const doc = (await this.col.findOne({ _id: set } as object)) as CountDoc | null;
      if (!isLegacy(doc)) return doc;
      await this.convert(doc);
    }
    throw new Error(`set ${set} could not be converted`);
  }

  async read(set: string): Promise<Counted> {
    return parse(await this.load(set));
  }

  readMany(sets: string[]): Promise<Counted[]> {
    return Promise.all(sets.map((s) => this.read(s)));
  }

  /**
   * Applies `op` of case `caseId` once: `applied` now, `done` before, `void` if it was voided (a
   * reservation given up). Load sets take it in one blind write; day sets read, update their head and
   * write with a compare-and-set.
   */
  async apply(caseId: string, op: SetOp): Promise<'applied' | 'done' | 'void'> {
    return op.at === undefined ? this.applyCount(op) : this.applyHeaded(caseId, op as SetOp & { at: number });
  }

  private async applyCount(op: SetOp, extra: { rev?: number } = {}): Promise<'applied' | 'done' | 'void'> {
    const field = opField(op.id);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const res = await this.col.updateOne(
          { _id: op.set, [field]: { $exists: false }, m: { $exists: false }, ...(extra.rev !== undefined ? { rev: extra.rev === 0 ? { $in: [0, null] } : extra.rev } : {}) } as object,
          { $inc: { n: op.d, v: 1, ...(extra.rev !== undefined ? { rev: 1 } : {}) }, $set: { [field]: Date.now() } } as object,
          { upsert: extra.rev === undefined || extra.rev === 0 },
        );
        if (res.modifiedCount + res.upsertedCount > 0) return 'applied';
        if (extra.rev !== undefined) return 'done'; // lost the compare-and-set (or applied): the caller reads again
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        if (extra.rev !== undefined) return 'done';
      }
      const doc = (await this.col.findOne({ _id: op.set } as object)) as CountDoc | null;
      if (isLegacy(doc)) {
        await this.convert(doc);
        continue;
      }
      const seen = doc?.o?.[encodeFieldKey(op.id)];
      if (seen !== undefined) return seen === 'void' ? 'void' : 'done';
    }
    throw new Error(`operation ${op.id} on ${op.set} kept colliding`);
  }

  private async applyHeaded(caseId: string, op: SetOp & { at: number }): Promise<'applied' | 'done' | 'void'> {
    const key = encodeFieldKey(op.id);
    const me: Member = { id: caseId, at: op.at };
    for (let attempt = 0; attempt < 20; attempt++) {
      const doc = await this.load(op.set);
      const seen = doc?.o?.[key];
      if (seen !== undefined) return seen === 'void' ? 'void' : 'done';
      const c = parse(doc);
      const mine = `h.${encodeFieldKey(caseId)}`;
      const $set: Record<string, unknown> = { [`o.${key}`]: Date.now() };
      const $unset: Record<string, ''> = {};
      const n = c.n + op.d;
      const wasListed = c.head.some((x) => x.id === caseId);
      const listed = [...c.head];
      let cut = c.cut;
      if (op.d > 0 && !wasListed && (cut === undefined || (cut !== null && before(me, cut)))) {
        listed.push(me);
        listed.sort((a, b) => (before(a, b) ? -1 : 1));
        $set[mine] = op.at;
        while (listed.length > HEAD_SIZE) {
          // The latest listed goes; every unlisted member is at or after it (all were after the old cut).
          const dropped = listed.pop()!;
          if (dropped.id === caseId) delete $set[mine];
          else $unset[`h.${encodeFieldKey(dropped.id)}`] = '';
          cut = dropped;
        }
      } else if (op.d < 0 && wasListed) {
        listed.splice(listed.findIndex((x) => x.id === caseId), 1);
        $unset[mine] = '';
      }
      if (n <= listed.length) cut = undefined; // every member listed again: the head is complete
      if (cut) $set.cut = [cut.at, cut.id];
      else if (cut === undefined && doc?.cut) $unset.cut = '';
      try {
        if (!doc) {
          const h = $set[mine] !== undefined ? { [encodeFieldKey(caseId)]: op.at } : {};
          await this.col.insertOne({ _id: op.set, n, rev: 0, v: 1, o: { [key]: Date.now() }, h } as never);
          return 'applied';
        }
        const res = await this.col.updateOne({ _id: op.set, v: doc.v ?? { $exists: false } } as object, {
          $set: { ...$set, n },
          $inc: { v: 1 },
          ...(Object.keys($unset).length ? { $unset } : {}),
        } as object);
        if (res.modifiedCount > 0) return 'applied';
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
    }
    throw new Error(`set ${op.set} changed concurrently while applying ${op.id}`);
  }

  /** Applies `op` (+1 on a load set) only if the set is still at reservation revision `rev`: false when another routing came first. */
  async reserve(op: SetOp, rev: number): Promise<boolean> {
    return (await this.applyCount(op, { rev })) === 'applied';
  }

  /** Makes sure `op` is never applied: true if it was not (now void), false if it had been applied. */
  async void(op: SetOp): Promise<boolean> {
    const field = opField(op.id);
    try {
      const res = await this.col.updateOne({ _id: op.set, [field]: { $exists: false } } as object, { $set: { [field]: 'void' } } as object, { upsert: true });
      if (res.modifiedCount + res.upsertedCount > 0) return true;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    const doc = (await this.col.findOne({ _id: op.set } as object)) as CountDoc | null;
    return doc?.o?.[encodeFieldKey(op.id)] === 'void';
  }

  /** Forgets operations their case has forgotten (so the set stays bounded). */
  async forget(set: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.col.updateOne({ _id: set } as object, { $unset: Object.fromEntries(ids.map((id) => [opField(id), ''])) } as object);
  }

  /**
   * Background repair (a whole-collection read, every `SLADESK_ESCALATION_REPAIR_MS`): forgets
   * operations older than `olderThanMs` that a crash left remembered after their case forgot them
   * (`pending` says whether the case still records one; those stay, its next sync finishes them).
   */
  async pruneForgotten(pending: (caseId: string, opId: string) => Promise<boolean>, olderThanMs = 600_000, now = Date.now()): Promise<number> {
    let pruned = 0;
    for await (const doc of this.col.find({ o: { $exists: true } }, { projection: { o: 1 } })) {
      const stale: string[] = [];
      for (const [k, at] of Object.entries((doc.o ?? {}) as Record<string, number | 'void'>)) {
        const id = decodeFieldKey(k);
        if (at !== 'void' && at > now - olderThanMs) continue;
        if (!(await pending(id.slice(0, id.indexOf('|')), id))) stale.push(id);
      }
      if (stale.length) await this.forget(String(doc._id), stale);
      pruned += stale.length;
    }
    return pruned;
  }

  /**
   * Converts a set of the old layout (`m`: every member) in place: its size, and for day sets the
   * earliest members. Read once, written once; a second converter finds nothing to do.
   */
  async convert(doc: CountDoc & { m: Record<string, number> }): Promise<void> {
    const members = Object.entries(doc.m)
      .map(([k, at]) => ({ id: decodeFieldKey(k), at: Number(at) }))
      .sort((a, b) => (before(a, b) ? -1 : 1));
    const $set: Record<string, unknown> = { n: members.length, v: 1 };
    if (doc._id.startsWith('repeat:')) {
      const head = members.slice(0, HEAD_SIZE);
      $set.h = Object.fromEntries(head.map((x) => [encodeFieldKey(x.id), x.at]));
      if (members.length > HEAD_SIZE) $set.cut = [members[HEAD_SIZE - 1].at, members[HEAD_SIZE - 1].id];
    }
    await this.col.updateOne({ _id: doc._id, m: { $exists: true }, n: { $exists: false } } as object, { $set, $unset: { m: '' } } as object);
  }

  /**
   * At start, in the background: converts every set of the old layout once (the hot paths convert one
   * they meet first themselves). A whole-collection read, only until the marker says it is done.
   */
  onApplicationBootstrap(): void {
    void this.convertAll().catch((e) => this.logger.warn(`converting old sets failed (they convert when used): ${(e as Error).message}`));
  }

  async convertAll(): Promise<number> {
    if (await this.col.findOne({ _id: COUNTED_MARKER } as object)) return 0;
    let n = 0;
    if ((await this.col.estimatedDocumentCount()) > 0) {
      for await (const doc of this.col.find({ m: { $exists: true }, n: { $exists: false } }, { projection: { _id: 1 } })) {
        const id = String(doc._id);
        if (!isCountedSet(id)) continue;
        const full = (await this.col.findOne({ _id: id } as object)) as CountDoc | null;
        if (isLegacy(full)) await this.convert(full);
        n += 1;
      }
    }
    await this.col.updateOne({ _id: COUNTED_MARKER } as object, { $set: { at: new Date() } }, { upsert: true });
    if (n) this.logger.log(`converted ${n} set(s) of the old layout to counters`);
    return n;
  }
}
