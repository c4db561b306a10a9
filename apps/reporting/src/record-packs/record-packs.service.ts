import { AppError } from '@sladesk/contracts';
import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { CaseState, isResolved } from '../read-models/case-state';
import { EntityDoc, Follower } from '../read-models/entity-projection';
import { CaseDoc, SupportRecordRows } from '../reports/support-record-rows';
import { decodePack, encodePack, fits, Head, headId, nextSlot, PACKED_ROW_MAX_BYTES, packId, packRow, PackDoc, rowHash } from './pack-format';
import { RmRecordHead, RmRecordLoose, RmRecordPack } from './record-packs.schema';

/**
 * Where a case's support-record row is, as its rm_cases document records it (`derived`):
 * - `pack`: the pack given to the case when it was first resolved, for good (a case is never in two packs);
 * - `hash`: of the row that pack holds for it (none: the pack holds no row of it);
 * - `loose`: the case has a loose key and the export renders it from rm_cases, skipping its packed row.
 * Not placed (no `derived`) until `case.opened` gave it a month and an account.
 */
export interface Placement {
  pack?: string;
  hash?: string;
  loose?: true;
}

type Assign = (month: string, accountId: string, bytes: number) => Promise<string>;
/** What `target` hands to `follow`: the rendered row, and whether the case had a loose key before. */
interface Prepared {
  row: string;
  wasLoose: boolean;
}

/**
 * Keeps the support record's export read model, following each case's state (a Follower of the case
 * projection): a resolved case's row is rendered once and written into its pack, an open one has a
 * loose key. Each case appears exactly once in an export because
 * - a row is written into its pack *before* the loose key goes (resolution), and the loose key is
 *   written *before* anything else changes (opening, reopening): in between the export sees both and
 *   takes the loose one, which is rendered from the case's current state;
 * - a reopened case's packed row stays, superseded by its loose key (an export that listed the loose
 *   keys just before the reopening still finds the case), and is overwritten when it is resolved again;
 *   an erasure removes it (the loose key covers the case meanwhile);
 * - an event that does not change the rendered row writes nothing (its hash is the same).
 * Writes a case causes here: its loose key at opening and its removal at resolution, one slot from the
 * head, one pack write per change of its row while resolved (pack writes of one process are grouped:
 * concurrent rows for one pack go in one replace).
 */
@Injectable()
export class RecordPacks implements Follower<CaseState> {
  private readonly writer: PackWriter;

  constructor(
    @InjectModel(RmRecordPack.name) private readonly packs: Model<RmRecordPack>,
    @InjectModel(RmRecordHead.name) private readonly heads: Model<RmRecordHead>,
    @InjectModel(RmRecordLoose.name) private readonly loose: Model<RmRecordLoose>,
    private readonly rows: SupportRecordRows,
  ) {
    this.writer = new PackWriter(packs.collection as unknown as mongo.Collection<PackDoc>);
  }

  /** The row a case's pack holds: rendered by the export's own code, without the account's name. */
  async render(id: string, s: CaseState): Promise<string> {
    return packRow(await this.rows.row({ ...s, _id: id } as CaseDoc, new Map()));
  }

  target(id: string, s: CaseState, recorded: unknown, assign: Assign = (m, a, b) => this.assign(m, a, b)): Promise<{ record: unknown; work?: unknown }> {
    return placementOf(id, s, recorded as Placement | undefined, (x, y) => this.render(x, y), assign);
  }

  async follow(id: string, doc: EntityDoc<CaseState>, work?: unknown): Promise<void> {
    const p = doc.derived as Placement | undefined;
    if (!p || !doc.month || !doc.accountId || !doc.receivedAt) return;
    if (p.loose) {
      await this.loose.collection.updateOne({ _id: id as never }, { $set: { month: doc.month, accountId: doc.accountId, receivedAt: doc.receivedAt } }, { upsert: true });
      if (p.pack && !p.hash) await this.writer.put(p.pack, id, null);
      return;
    }
    if (!p.pack) return;
    const prepared = work as Prepared | undefined;
    await this.writer.put(p.pack, id, prepared?.row ?? (await this.render(id, doc)));
    // Only when it was loose (or unknown: a redelivery): a resolved case's later changes write its pack alone.
    if (!prepared || prepared.wasLoose) await this.loose.collection.deleteOne({ _id: id as never });
  }

  /** A slot in the account's current pack of the month; a full pack closes and the next one opens. */
  async assign(month: string, accountId: string, bytes: number): Promise<string> {
    const col = this.heads.collection as unknown as mongo.Collection<RmRecordHead>;
    const _id = headId(month, accountId);
    for (let attempt = 0; attempt < 20; attempt++) {
      let head: RmRecordHead | null;
      try {
        head = await col.findOneAndUpdate({ _id }, { $inc: { rows: 1, bytes }, $setOnInsert: { month, accountId, n: 0 } }, { upsert: true, returnDocument: 'after' });
      } catch (e) {
        if (isDuplicateKey(e)) continue;
        throw e;
      }
      if (!head) continue;
      if (fits(head)) return packId(month, accountId, head.n);
      // Full: the first to notice opens the next pack; everyone takes a slot again.
      await col.updateOne({ _id, n: head.n }, { $set: { n: head.n + 1, rows: 0, bytes: 0 } });
    }
    throw new AppError('RESOURCE.CONCURRENT_UPDATE', `record pack head ${_id} changed concurrently too often`);
  }

  /** Packs written from case documents in bulk, exactly as the projection places them (rebuild --packs, the benchmark's seeding). */
  builder(): PackBuilder {
    return new PackBuilder(this, this.packs.collection as unknown as mongo.Collection<PackDoc>, this.heads.collection, this.loose.collection);
  }
}

/** What the case records for its state: the decision of RecordPacks, as a function (the builder shares it). */
async function placementOf(
  id: string,
  s: CaseState,
  recorded: Placement | undefined,
  render: (id: string, s: CaseState) => Promise<string>,
  assign: Assign,
): Promise<{ record: Placement | undefined; work?: Prepared }> {
  if (!s.month || !s.accountId || !s.receivedAt) return { record: recorded };
  // A pack of another month or account (facts that disagreed) is left: the reader skips rows outside their pack's month and account.
  const pack = recorded?.pack?.startsWith(`${headId(s.month, s.accountId)}:`) ? recorded.pack : undefined;
  const superseded = (erased: boolean): Placement => ({ loose: true, ...(pack ? { pack, ...(recorded?.hash && !erased ? { hash: recorded.hash } : {}) } : {}) });
  if (!isResolved(s)) return { record: superseded(!!s.erased) };
  const row = await render(id, s);
  if (Buffer.byteLength(row) > PACKED_ROW_MAX_BYTES || id.includes('\n')) return { record: superseded(!!s.erased) };
  const record = { pack: pack ?? (await assign(s.month, s.accountId, Buffer.byteLength(row))), hash: rowHash(row) };
  return { record, work: { row, wasLoose: !recorded || !!recorded.loose } };
}

/**
 * Writes rows into packs, one replace per pack at a time: rows that arrive for a pack while it is being
 * written go together in its next write (group commit), so concurrent resolutions of one account's
 * cases cost one pack write, not one each with retries. `null` removes a case's row.
 */
class PackWriter {
  private readonly queued = new Map<string, { rows: Map<string, string | null>; waiters: { resolve: () => void; reject: (e: unknown) => void }[] }>();
  private readonly writing = new Set<string>();

  constructor(private readonly col: mongo.Collection<PackDoc>) {}

  put(pack: string, caseId: string, row: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      let q = this.queued.get(pack);
      if (!q) this.queued.set(pack, (q = { rows: new Map(), waiters: [] }));
      q.rows.set(caseId, row);
      q.waiters.push({ resolve, reject });
      void this.drain(pack);
    });
  }

  private async drain(pack: string): Promise<void> {
    if (this.writing.has(pack)) return;
    this.writing.add(pack);
    try {
      for (let q = this.queued.get(pack); q; q = this.queued.get(pack)) {
        this.queued.delete(pack);
        try {
          await this.write(pack, q.rows);
          q.waiters.forEach((w) => w.resolve());
        } catch (e) {
          q.waiters.forEach((w) => w.reject(e));
        }
      }
    } finally {
      this.writing.delete(pack);
    }
  }

  private async write(pack: string, changes: Map<string, string | null>): Promise<void> {
    const [month, accountId, n] = splitPackId(pack);
    for (let attempt = 0; attempt < 20; attempt++) {
      const doc = await this.col.findOne({ _id: pack });
      const current = doc ? await decodePack(doc) : { ids: [], rows: [] };
      const rows = new Map(current.ids.map((id, i) => [id, current.rows[i]]));
      for (const [id, row] of changes) {
        if (row === null) rows.delete(id);
        else rows.set(id, row);
      }
      const next = await encodePack({ month, accountId, n }, rows, (doc?.rev ?? 0) + 1);
      if (doc) {
        const res = await this.col.replaceOne({ _id: pack, rev: doc.rev }, next);
        if (res.matchedCount) return;
      } else {
        try {
          await this.col.insertOne(next);
          return;
        } catch (e) {
          if (!isDuplicateKey(e)) throw e;
        }
      }
    }
    throw new AppError('RESOURCE.CONCURRENT_UPDATE', `record pack ${pack} changed concurrently too often`);
  }
}

/** `<month>:<account>:<n>`; the account is between the first and the last `:`. */
export function splitPackId(pack: string): [string, string, number] {
  const first = pack.indexOf(':');
  const last = pack.lastIndexOf(':');
  return [pack.slice(0, first), pack.slice(first + 1, last), Number(pack.slice(last + 1))];
}

/**
 * Places case documents in bulk with the projection's own decision (`placementOf`, the same
 * rendering, the same slot rule as the heads): `add` returns what the case document must record, full
 * packs are inserted as they fill, `finish` writes the open packs, the heads and the loose keys. For
 * empty pack collections (rebuild --packs empties them first) with no projection writing meanwhile.
 */
export class PackBuilder {
  private readonly heads = new Map<string, Head & { month: string; accountId: string }>();
  private readonly open = new Map<string, Map<string, string>>();
  private loose: RmRecordLoose[] = [];
  packsWritten = 0;
  looseWritten = 0;
  /** Bytes of the packed rows, and of their deflated blobs. */
  rowBytes = 0;
  deflatedBytes = 0;

  constructor(
    private readonly packs: RecordPacks,
    private readonly packCol: mongo.Collection<PackDoc>,
    private readonly headCol: mongo.Collection,
    private readonly looseCol: mongo.Collection,
  ) {}

  async add(doc: CaseDoc): Promise<Placement | undefined> {
    const id = doc._id;
    const state = { ...doc } as CaseState & { _id?: string; rev?: number; applied?: unknown; pending?: unknown; derived?: unknown };
    for (const k of ['_id', 'rev', 'applied', 'pending', 'derived'] as const) delete state[k];
    let row: string | undefined;
    const { record } = await placementOf(id, state, undefined, async (x, s) => (row = await this.packs.render(x, s)), async (month, accountId, bytes) => this.slot(month, accountId, bytes));
    if (!record) return undefined;
    if (record.loose) {
      this.loose.push({ _id: id, month: state.month!, accountId: state.accountId!, receivedAt: state.receivedAt! });
      if (this.loose.length >= 1000) await this.flushLoose();
    } else {
      const rows = this.open.get(record.pack!) ?? new Map<string, string>();
      rows.set(id, row!);
      this.open.set(record.pack!, rows);
    }
    return record;
  }

  private async slot(month: string, accountId: string, bytes: number): Promise<string> {
    const key = headId(month, accountId);
    const before = this.heads.get(key) ?? { month, accountId, n: 0, rows: 0, bytes: 0 };
    const after = { ...before, ...nextSlot(before, bytes) };
    this.heads.set(key, after);
    if (after.n !== before.n) await this.flushPack(packId(month, accountId, before.n));
    return packId(month, accountId, after.n);
  }

  private async flushPack(pack: string): Promise<void> {
    const rows = this.open.get(pack);
    this.open.delete(pack);
    if (!rows?.size) return;
    const [month, accountId, n] = splitPackId(pack);
    const doc = await encodePack({ month, accountId, n }, rows, 1);
    await this.packCol.insertOne(doc);
    this.packsWritten++;
    this.rowBytes += doc.bytes;
    this.deflatedBytes += (doc.data as Buffer).length;
  }

  private async flushLoose(): Promise<void> {
    if (!this.loose.length) return;
    await this.looseCol.insertMany(this.loose as never[], { ordered: false });
    this.looseWritten += this.loose.length;
    this.loose = [];
  }

  async finish(): Promise<void> {
    for (const pack of [...this.open.keys()]) await this.flushPack(pack);
    await this.flushLoose();
    const heads = [...this.heads].map(([_id, h]) => ({ _id, month: h.month, accountId: h.accountId, n: h.n, rows: h.rows, bytes: h.bytes }));
    for (let i = 0; i < heads.length; i += 1000) await this.headCol.insertMany(heads.slice(i, i + 1000) as never[], { ordered: false });
  }
}
