import { ReportPeriod } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { EntityDoc } from '../read-models/entity-projection';
import { NoticeState } from '../read-models/notice-state';
import { RmNotice } from '../read-models/read-model.schemas';
import { BucketReader, sumCounters } from './bucket-reader';
import { periodLabel } from './period';
import { Column, fmtPct, pct, ReportDoc, Row } from './report-doc';

const COLUMNS: Column[] = [
  { key: 'first_attempt_at', header: 'first_attempt_at', kind: 'datetime', width: 12 },
  { key: 'source', header: 'source', width: 8 },
  { key: 'topic', header: 'topic', width: 10 },
  { key: 'subject', header: 'subject', width: 26 },
  { key: 'to', header: 'to', width: 16 },
  { key: 'staff_id', header: 'staff_id', width: 8 },
  { key: 'channels', header: 'channels', width: 8 },
  { key: 'outcome', header: 'outcome', width: 6 },
  { key: 'outcome_at', header: 'outcome_at', kind: 'datetime', width: 12 },
  { key: 'attempts', header: 'attempts', kind: 'int', width: 4 },
  { key: 'error', header: 'error', width: 16 },
  { key: 'account_id', header: 'account_id', width: 8 },
  { key: 'case_id', header: 'case_id', width: 10 },
  { key: 'escalation_id', header: 'escalation_id', width: 10 },
  { key: 'notice_id', header: 'notice_id', width: 10 },
];

const row = (n: EntityDoc<NoticeState>): Row => ({
  first_attempt_at: n.firstAt ?? null,
  source: n.source ?? null,
  topic: n.topic ?? null,
  subject: n.subject ?? null,
  to: n.to ?? null,
  staff_id: n.staffId ?? null,
  channels: (n.channels ?? []).join(' '),
  outcome: n.outcome ? (n.outcome.v === 'failed' && n.outcome.final === false ? 'retrying' : n.outcome.v) : null,
  outcome_at: n.outcome?.at ?? null,
  attempts: n.outcome?.attempts ?? null,
  error: n.outcome?.v === 'failed' ? (n.outcome.error ?? null) : null,
  account_id: n.accountId ?? null,
  case_id: n.caseId ?? null,
  escalation_id: n.escalationId ?? null,
  notice_id: n._id,
});

/** Every notification sent (escalations to staff; customer notices as their delivery events arrive): what, to whom, when, outcome. */
@Injectable()
export class NoticesReport {
  constructor(
    @InjectModel(RmNotice.name) private readonly notices: Model<RmNotice>,
    private readonly reader: BucketReader,
  ) {}

  async *rows(period: ReportPeriod, accountId: string | undefined, sorted: boolean): AsyncIterable<Row> {
    const filter = { day: { $gte: period.from, $lte: period.to }, ...(accountId ? { accountId } : {}) };
    const cursor = this.notices.collection.find(filter, { batchSize: 500 });
    if (!sorted) {
      for await (const n of cursor) yield row(n as unknown as EntityDoc<NoticeState>);
      return;
    }
    const all = ((await cursor.toArray()) as unknown as EntityDoc<NoticeState>[]).map(row);
    all.sort((a, b) => (String(a.first_attempt_at) < String(b.first_attempt_at) ? -1 : String(a.first_attempt_at) > String(b.first_attempt_at) ? 1 : String(a.notice_id) < String(b.notice_id) ? -1 : 1));
    yield* all;
  }

  async summary(period: ReportPeriod, accountId?: string) {
    const c = sumCounters((await this.reader.read(period, accountId)).map((m) => m.counters));
    const total = c['n.total'] ?? 0;
    const sent = c['n.sent'] ?? 0;
    return { total, sent, failed: c['n.failed'] ?? 0, sentPct: pct(sent, total) };
  }

  async build(period: ReportPeriod, accountId: string | undefined, sorted: boolean, generatedAt = new Date()): Promise<ReportDoc> {
    const s = await this.summary(period, accountId);
    const names = accountId ? await this.reader.accountNames([accountId]) : new Map<string, string>();
    return {
      report: 'notices',
      title: 'Notices sent',
      period,
      ...(accountId ? { accountId, accountName: names.get(accountId) ?? accountId } : {}),
      generatedAt: generatedAt.toISOString(),
      notice:
        'Escalation notifications are listed as the escalation service reports them. Customer notices (maintenance windows, advisories) appear as soon as their delivery events are published.',
      figures: [
        { label: 'Notifications', value: String(s.total) },
        { label: 'Delivered', value: fmtPct(s.sentPct), detail: `${s.sent} sent, ${s.failed} failed` },
      ],
      charts: [],
      tables: [{ name: 'notices', title: `Notices ${periodLabel(period)}`, columns: COLUMNS, rows: () => this.rows(period, accountId, sorted), expectedRows: s.total }],
      summary: s,
      expectedRows: s.total,
    };
  }
}
