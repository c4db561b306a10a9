import { ReportPeriod } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { RmCase } from '../read-models/read-model.schemas';
import { BucketReader, pool } from '../reports/bucket-reader';
import { monthsOf, periodInstants } from '../reports/period';
import { Row } from '../reports/report-doc';
import { CaseDoc, SupportRecordRows } from '../reports/support-record-rows';
import { decodePack, headId, PackDoc, PackRows, packId, unpackRow } from './pack-format';
import { RmRecordHead, RmRecordLoose, RmRecordPack } from './record-packs.schema';

/** Packs read ahead of the one being written out (a few hundred KB each, decoded). */
const READ_AHEAD = 3;

/**
 * The support record's rows of a period, every case once with its newest state: first the loose cases
 * (open, reopened, or too big to pack; rendered from rm_cases by `_id`), then the packs of each month
 * and account (by `_id`: `<month>:<account>:0..n`), skipping the rows of cases that are loose. Every
 * read is an `_id` equality but the loose keys' one query (an index on MongoDB; on FerretDB a scan of
 * the loose keys, which are as many as the open cases, not the history).
 */
@Injectable()
export class RecordReader {
  constructor(
    @InjectModel(RmCase.name) private readonly cases: Model<RmCase>,
    @InjectModel(RmRecordPack.name) private readonly packs: Model<RmRecordPack>,
    @InjectModel(RmRecordHead.name) private readonly heads: Model<RmRecordHead>,
    @InjectModel(RmRecordLoose.name) private readonly loose: Model<RmRecordLoose>,
    private readonly caseRows: SupportRecordRows,
    private readonly reader: BucketReader,
  ) {}

  /** Storage order (loose cases, then packs); `names` (account id → name) is completed as accounts come. */
  async *rows(period: ReportPeriod, accountId: string | undefined, names: Map<string, string>): AsyncIterable<Row> {
    const { gte, lt } = periodInstants(period);
    const months = monthsOf(period);
    const inPeriod = (at: unknown) => typeof at === 'string' && at >= gte && at < lt;
    const named = async (a: string | undefined | null) => {
      if (a && !names.has(a)) for (const [k, v] of await this.reader.accountNames([a])) names.set(k, v);
    };

    // Batches stay small: FerretDB 1.24 may answer a getMore with everything left, and the launcher's proxy refuses a message over 48 MB.
    const keys = await this.loose.collection.find({ month: { $in: months }, ...(accountId ? { accountId } : {}) }, { batchSize: 1000 }).toArray();
    const loose = new Set(keys.map((k) => String(k._id)));
    const wanted = keys.filter((k) => inPeriod(k.receivedAt)).map((k) => String(k._id));
    for (let i = 0; i < wanted.length; i += 64) {
      const docs = await pool(wanted.slice(i, i + 64), 16, (id) =>
        this.cases.collection.findOne({ _id: id as never }, { projection: { applied: 0, pending: 0, derived: 0 } }),
      );
      for (const doc of docs as unknown as (CaseDoc | null)[]) {
        if (!doc || !inPeriod(doc.receivedAt) || (accountId && doc.accountId !== accountId)) continue;
        await named(doc.accountId);
        yield await this.caseRows.row(doc, names);
      }
    }

    const ids = await this.packIds(months, accountId);
    const col = this.packs.collection as unknown as mongo.Collection<PackDoc>;
    const read = async (id: string): Promise<PackRows | null> => {
      const doc = await col.findOne({ _id: id });
      return doc ? decodePack(doc) : null;
    };
    const ahead: Promise<PackRows | null>[] = [];
    let next = 0;
    const refill = () => {
      while (ahead.length < READ_AHEAD && next < ids.length) {
        const p = read(ids[next++]);
        p.catch(() => undefined); // awaited below, in order
        ahead.push(p);
      }
    };
    refill();
    while (ahead.length) {
      const pack = await ahead.shift()!;
      refill();
      if (!pack) continue;
      await named(pack.accountId);
      for (let i = 0; i < pack.ids.length; i++) {
        if (loose.has(pack.ids[i])) continue;
        const row = unpackRow(pack.rows[i], names);
        // A row outside its pack's month and account (facts that disagreed) or outside the period's days.
        if (row.account_id !== pack.accountId || !inPeriod(row.received_at) || (row.received_at as string).slice(0, 7) !== pack.month) continue;
        yield row;
      }
    }
  }

  /** Every pack of the months, for one account or every account with counters in the month. */
  private async packIds(months: string[], accountId: string | undefined): Promise<string[]> {
    const pairs: { month: string; accountId: string }[] = [];
    for (const month of months) for (const a of accountId ? [accountId] : await this.reader.accountsIn(month)) pairs.push({ month, accountId: a });
    const heads = await pool(pairs, 16, ({ month, accountId: a }) => this.heads.collection.findOne({ _id: headId(month, a) as never }));
    return pairs.flatMap(({ month, accountId: a }, i) => Array.from({ length: heads[i] ? (heads[i]!.n as number) + 1 : 0 }, (_, n) => packId(month, a, n)));
  }
}
