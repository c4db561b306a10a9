import { ESCALATION_LEVELS, ESCALATION_REASONS, EscalationLevel, EscalationReason, ReportPeriod } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { NO_ACCOUNT } from '../read-models/escalation-state';
import { formatDuration, percentile } from '../read-models/histogram';
import { BucketReader, Counters, sumCounters, under } from './bucket-reader';
import { periodLabel } from './period';
import { Column, fmtPct, pct, ReportDoc, Row } from './report-doc';

export interface EscalationFigures {
  escalations: number;
  acknowledged: number;
  acknowledgedPct: number | null;
  /** Wall-clock time from the first notification to the acknowledgement (nearest rank on histogram bounds). */
  ackP50Seconds: number | null;
  ackP90Seconds: number | null;
  /** Reminders sent because nobody acknowledged in time. */
  repeats: number;
}

export interface EscalationsSummary {
  totals: EscalationFigures;
  byLevel: Record<EscalationLevel, EscalationFigures>;
  byReason: Record<EscalationReason, EscalationFigures>;
}

const finite = (v: number | null) => (v === null || Number.isFinite(v) ? v : null);

export function escalationFigures(c: Counters, levels: readonly EscalationLevel[] = ESCALATION_LEVELS, reasons: readonly EscalationReason[] = ESCALATION_REASONS): EscalationFigures {
  let escalations = 0;
  let acknowledged = 0;
  let repeats = 0;
  const hist: Counters = {};
  for (const l of levels) {
    for (const r of reasons) {
      const k = `e.${l}.${r}`;
      escalations += c[`${k}.n`] ?? 0;
      acknowledged += c[`${k}.ack`] ?? 0;
      repeats += c[`${k}.rep`] ?? 0;
      for (const [b, v] of Object.entries(under(c, `${k}.ackh`))) hist[b] = (hist[b] ?? 0) + v;
    }
  }
  return { escalations, acknowledged, acknowledgedPct: pct(acknowledged, escalations), ackP50Seconds: finite(percentile(hist, 0.5)), ackP90Seconds: finite(percentile(hist, 0.9)), repeats };
}

const COLUMNS: Column[] = [
  { key: 'month', header: 'month', width: 7 },
  { key: 'account_id', header: 'account_id', width: 10 },
  { key: 'account_name', header: 'account_name', width: 14 },
  { key: 'level', header: 'level', width: 8 },
  { key: 'reason', header: 'reason', width: 16 },
  { key: 'escalations', header: 'escalations', kind: 'int', width: 6 },
  { key: 'acknowledged', header: 'acknowledged', kind: 'int', width: 6 },
  { key: 'acknowledged_pct', header: 'acknowledged_pct', kind: 'percent', width: 7 },
  { key: 'ack_p50_seconds', header: 'ack_p50_seconds', kind: 'seconds', width: 8 },
  { key: 'ack_p90_seconds', header: 'ack_p90_seconds', kind: 'seconds', width: 8 },
  { key: 'repeats', header: 'repeats', kind: 'int', width: 5 },
];

const figureRow = (base: Row, f: EscalationFigures): Row => ({
  ...base,
  escalations: f.escalations,
  acknowledged: f.acknowledged,
  acknowledged_pct: f.acknowledgedPct,
  ack_p50_seconds: f.ackP50Seconds,
  ack_p90_seconds: f.ackP90Seconds,
  repeats: f.repeats,
});

/** Escalations by reason and tier, with the time each level took to acknowledge. */
@Injectable()
export class EscalationsReport {
  constructor(private readonly reader: BucketReader) {}

  async summary(period: ReportPeriod, accountId?: string): Promise<EscalationsSummary> {
    const all = sumCounters((await this.reader.read(period, accountId)).map((m) => m.counters));
    return summaryOf(all);
  }

  async build(period: ReportPeriod, accountId?: string, generatedAt = new Date()): Promise<ReportDoc> {
    const months = await this.reader.read(period, accountId);
    const names = await this.reader.accountNames(months.map((m) => m.accountId));
    names.set(NO_ACCOUNT, '(platform-wide incidents)');
    const s = summaryOf(sumCounters(months.map((m) => m.counters)));
    const rows: Row[] = [];
    for (const m of months) {
      for (const level of ESCALATION_LEVELS) {
        for (const reason of ESCALATION_REASONS) {
          const f = escalationFigures(m.counters, [level], [reason]);
          if (f.escalations) rows.push(figureRow({ month: m.month, account_id: m.accountId, account_name: names.get(m.accountId) ?? m.accountId, level, reason }, f));
        }
      }
    }
    return {
      report: 'escalations',
      title: 'Escalations',
      period,
      ...(accountId ? { accountId, accountName: names.get(accountId) ?? accountId } : {}),
      generatedAt: generatedAt.toISOString(),
      figures: escalationSummaryFigures(s),
      charts: [
        {
          title: 'Escalations by tier',
          option: {
            grid: { left: 45, right: 20, top: 20, bottom: 30 },
            xAxis: { type: 'category', data: [...ESCALATION_LEVELS] },
            yAxis: { type: 'value', minInterval: 1 },
            series: [{ type: 'bar', data: ESCALATION_LEVELS.map((l) => s.byLevel[l].escalations), label: { show: true, position: 'top' } }],
          },
        },
      ],
      tables: [
        { name: 'escalations', title: `Escalations by month, account, tier and reason (${periodLabel(period)})`, columns: COLUMNS, rows },
        {
          name: 'by_tier',
          title: 'By tier',
          columns: [COLUMNS[3], ...COLUMNS.slice(5)],
          rows: ESCALATION_LEVELS.map((level) => figureRow({ level }, s.byLevel[level])),
        },
        {
          name: 'by_reason',
          title: 'By reason',
          columns: [COLUMNS[4], ...COLUMNS.slice(5)],
          rows: ESCALATION_REASONS.filter((r) => s.byReason[r].escalations).map((reason) => figureRow({ reason }, s.byReason[reason])),
        },
      ],
      summary: s,
      expectedRows: rows.length,
    };
  }
}

function summaryOf(all: Counters): EscalationsSummary {
  return {
    totals: escalationFigures(all),
    byLevel: Object.fromEntries(ESCALATION_LEVELS.map((l) => [l, escalationFigures(all, [l])])) as Record<EscalationLevel, EscalationFigures>,
    byReason: Object.fromEntries(ESCALATION_REASONS.map((r) => [r, escalationFigures(all, ESCALATION_LEVELS, [r])])) as Record<EscalationReason, EscalationFigures>,
  };
}

export function escalationSummaryFigures(s: EscalationsSummary): ReportDoc['figures'] {
  const t = s.totals;
  return [
    { label: 'Escalations', value: String(t.escalations), detail: ESCALATION_LEVELS.map((l) => `${l}: ${s.byLevel[l].escalations}`).join(', ') },
    { label: 'Acknowledged', value: fmtPct(t.acknowledgedPct), detail: `${t.acknowledged} of ${t.escalations}, ${t.repeats} reminders` },
    { label: 'Time to acknowledge', value: `p50 ${formatDuration(t.ackP50Seconds)}`, detail: `p90 ${formatDuration(t.ackP90Seconds)}` },
    { label: 'Executive escalations', value: String(s.byLevel.executive.escalations), detail: `${s.byLevel.executive.acknowledged} acknowledged` },
  ];
}
