import { ReportPeriod, TimelineEntryPayload } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RmCase } from '../read-models/read-model.schemas';
import { RecordReader } from '../record-packs/record-reader';
import { BucketReader } from './bucket-reader';
import { periodInstants, periodLabel } from './period';
import { ReportDoc, Row } from './report-doc';
import { complianceCharts, complianceFigures, SlaComplianceReport } from './sla-compliance.report';
import { CaseDoc, SUPPORT_RECORD_COLUMNS, SupportRecordRows } from './support-record-rows';

export type { CaseDoc } from './support-record-rows';
export { stepLine, SUPPORT_RECORD_COLUMNS, SUPPORT_RECORD_PDF_KEYS } from './support-record-rows';

@Injectable()
export class SupportRecordReport {
  constructor(
    @InjectModel(RmCase.name) private readonly caseModel: Model<RmCase>,
    private readonly caseRows: SupportRecordRows,
    private readonly records: RecordReader,
    private readonly reader: BucketReader,
    private readonly compliance: SlaComplianceReport,
  ) {}

  /**
   * The cases received in the period, whole, from a cursor over rm_cases (the evidence pack's
   * timelines; a scan on FerretDB). `sorted` orders them by receipt in memory (small reports only).
   */
  async *cases(period: ReportPeriod, accountId: string | undefined, sorted: boolean): AsyncIterable<CaseDoc> {
    const { gte, lt } = periodInstants(period);
    const filter = { receivedAt: { $gte: gte, $lt: lt }, ...(accountId ? { accountId } : {}) };
    // The bookkeeping of the projection (applied event ids, pending deltas) is not part of the record.
    const cursor = this.caseModel.collection.find(filter, { batchSize: 1000, projection: { applied: 0, pending: 0, derived: 0 } });
    if (!sorted) {
      for await (const doc of cursor) yield doc as unknown as CaseDoc;
      return;
    }
    const all = (await cursor.toArray()) as unknown as CaseDoc[];
    all.sort((a, b) => (a.receivedAt! < b.receivedAt! ? -1 : a.receivedAt! > b.receivedAt! ? 1 : (a.number ?? 0) - (b.number ?? 0)));
    yield* all;
  }

  /** Every entry of a case's timeline that arrived, in order (the evidence pack). */
  timeline(c: CaseDoc): Promise<TimelineEntryPayload[]> {
    return this.caseRows.timeline(c);
  }

  row(c: CaseDoc, names: Map<string, string>): Promise<Row> {
    return this.caseRows.row(c, names);
  }

  /**
   * The record's rows, from the packs and the loose cases (src/record-packs). `sorted` orders them by
   * receipt in memory (small reports only); big exports stream in storage order.
   */
  private async *rows(period: ReportPeriod, accountId: string | undefined, sorted: boolean, names: Map<string, string>): AsyncIterable<Row> {
    if (!sorted) {
      yield* this.records.rows(period, accountId, names);
      return;
    }
    const all: Row[] = [];
    for await (const row of this.records.rows(period, accountId, names)) all.push(row);
    const at = (r: Row) => String(r.received_at ?? '');
    all.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : Number(a.case_number ?? 0) - Number(b.case_number ?? 0)));
    yield* all;
  }

  async build(period: ReportPeriod, accountId: string | undefined, sorted: boolean, generatedAt = new Date()): Promise<ReportDoc> {
    const { summary, names } = await this.compliance.summary(period, accountId);
    if (accountId && !names.has(accountId)) names.set(accountId, (await this.reader.accountNames([accountId])).get(accountId)!);
    const expected = summary.totals.cases;
    return {
      report: 'support-record',
      title: 'Support record',
      period,
      ...(accountId ? { accountId, accountName: names.get(accountId) ?? accountId } : {}),
      generatedAt: generatedAt.toISOString(),
      figures: complianceFigures(summary),
      charts: complianceCharts(summary),
      tables: [
        {
          name: 'cases',
          title: `Cases received ${periodLabel(period)}`,
          columns: SUPPORT_RECORD_COLUMNS,
          expectedRows: expected,
          rows: () => this.rows(period, accountId, sorted, names),
        },
      ],
      summary: { totals: summary.totals, bySeverity: summary.bySeverity, breachesByClause: summary.breachesByClause },
      expectedRows: expected,
      caseDetails: true,
    };
  }
}
