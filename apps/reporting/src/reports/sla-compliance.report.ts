import { ReportPeriod, Severity, SEVERITIES } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { formatDuration, percentile } from '../read-models/histogram';
import { BucketReader, Counters, MonthCounters, sumCounters, under } from './bucket-reader';
import { monthEnd, monthsOf, monthStart, periodLabel, previousMonth } from './period';
import { Chart, Column, fmtPct, pct, ReportDoc, Row } from './report-doc';

/** First response before resolution, then any other clock. */
const clockRank = (clock: string): number => (clock === 'first_response' ? 0 : clock === 'resolution' ? 1 : 2);

export interface GoalFigures {
  met: number;
  missed: number;
  /** Neither fulfilled nor breached yet. */
  pending: number;
  /** met / (met + missed), in percent with one decimal; null when nothing was decided. */
  metPct: number | null;
  /** Nearest-rank percentiles of the business time to fulfilment (histogram bucket bounds). */
  p50Seconds: number | null;
  p90Seconds: number | null;
}

export interface ComplianceFigures {
  cases: number;
  firstResponse: GoalFigures;
  resolution: GoalFigures;
  /** Clocks (first response, next responses, resolution) that ran past their goal. */
  breaches: number;
  resolved: number;
}

export interface SlaComplianceSummary {
  totals: ComplianceFigures;
  bySeverity: Record<Severity, ComplianceFigures>;
  byMonth: ({ month: string } & ComplianceFigures)[];
  byAccount: ({ accountId: string; accountName: string } & ComplianceFigures)[];
  breachesByClause: { clause: string; breaches: number }[];
  breachesByClock: Record<string, number>;
  /** The six months up to the period's last, for the trend chart. */
  trend: { month: string; cases: number; firstResponseMetPct: number | null; resolutionMetPct: number | null }[];
}

const finite = (v: number | null) => (v === null || Number.isFinite(v) ? v : null);

function goal(c: Counters, sevs: readonly Severity[], prefix: 'fr' | 'res', cases: number): GoalFigures {
  let met = 0;
  let missed = 0;
  const hist: Counters = {};
  for (const s of sevs) {
    met += c[`s.${s}.${prefix}.met`] ?? 0;
    missed += c[`s.${s}.${prefix}.missed`] ?? 0;
    for (const [k, v] of Object.entries(under(c, `s.${s}.${prefix}.h`))) hist[k] = (hist[k] ?? 0) + v;
  }
  return { met, missed, pending: Math.max(0, cases - met - missed), metPct: pct(met, met + missed), p50Seconds: finite(percentile(hist, 0.5)), p90Seconds: finite(percentile(hist, 0.9)) };
}

export function complianceOf(c: Counters, sevs: readonly Severity[] = SEVERITIES): ComplianceFigures {
  const cases = sevs.reduce((n, s) => n + (c[`s.${s}.cases`] ?? 0), 0);
  return {
    cases,
    firstResponse: goal(c, sevs, 'fr', cases),
    resolution: goal(c, sevs, 'res', cases),
    breaches: sevs.reduce((n, s) => n + (c[`s.${s}.breaches`] ?? 0), 0),
    resolved: sevs.reduce((n, s) => n + (c[`s.${s}.resolved`] ?? 0), 0),
  };
}

export const COMPLIANCE_COLUMNS: Column[] = [
  { key: 'month', header: 'month', width: 7 },
  { key: 'account_id', header: 'account_id', width: 10 },
  { key: 'account_name', header: 'account_name', width: 14 },
  { key: 'severity', header: 'severity', width: 8 },
  { key: 'cases', header: 'cases', kind: 'int', width: 5 },
  { key: 'first_response_met', header: 'first_response_met', kind: 'int', width: 6 },
  { key: 'first_response_missed', header: 'first_response_missed', kind: 'int', width: 6 },
  { key: 'first_response_pending', header: 'first_response_pending', kind: 'int', width: 6 },
  { key: 'first_response_met_pct', header: 'first_response_met_pct', kind: 'percent', width: 7 },
  { key: 'first_response_p50_seconds', header: 'first_response_p50_seconds', kind: 'seconds', width: 8 },
  { key: 'first_response_p90_seconds', header: 'first_response_p90_seconds', kind: 'seconds', width: 8 },
  { key: 'resolution_met', header: 'resolution_met', kind: 'int', width: 6 },
  { key: 'resolution_missed', header: 'resolution_missed', kind: 'int', width: 6 },
  { key: 'resolution_pending', header: 'resolution_pending', kind: 'int', width: 6 },
  { key: 'resolution_met_pct', header: 'resolution_met_pct', kind: 'percent', width: 7 },
  { key: 'resolution_p50_seconds', header: 'resolution_p50_seconds', kind: 'seconds', width: 8 },
  { key: 'resolution_p90_seconds', header: 'resolution_p90_seconds', kind: 'seconds', width: 8 },
  { key: 'breaches', header: 'breaches', kind: 'int', width: 6 },
];

const complianceRow = (base: Row, f: ComplianceFigures): Row => ({
  ...base,
  cases: f.cases,
  first_response_met: f.firstResponse.met,
  first_response_missed: f.firstResponse.missed,
  first_response_pending: f.firstResponse.pending,
  first_response_met_pct: f.firstResponse.metPct,
  first_response_p50_seconds: f.firstResponse.p50Seconds,
  first_response_p90_seconds: f.firstResponse.p90Seconds,
  resolution_met: f.resolution.met,
  resolution_missed: f.resolution.missed,
  resolution_pending: f.resolution.pending,
  resolution_met_pct: f.resolution.metPct,
  resolution_p50_seconds: f.resolution.p50Seconds,
  resolution_p90_seconds: f.resolution.p90Seconds,
  breaches: f.breaches,
});

/** First response and resolution goals met, breaches with their clauses, business-time percentiles. */
@Injectable()
export class SlaComplianceReport {
  constructor(private readonly reader: BucketReader) {}

  async summary(period: ReportPeriod, accountId?: string): Promise<{ summary: SlaComplianceSummary; months: MonthCounters[]; names: Map<string, string> }> {
    const months = await this.reader.read(period, accountId);
    const all = sumCounters(months.map((m) => m.counters));
    const names = await this.reader.accountNames(months.map((m) => m.accountId));
    const byMonth = [...new Set(months.map((m) => m.month))].map((month) => ({
      month,
      ...complianceOf(sumCounters(months.filter((m) => m.month === month).map((m) => m.counters))),
    }));
    const byAccount = [...new Set(months.map((m) => m.accountId))]
      .map((a) => ({ accountId: a, accountName: names.get(a) ?? a, ...complianceOf(sumCounters(months.filter((m) => m.accountId === a).map((m) => m.counters))) }))
      .filter((a) => a.cases > 0);
    const clauses = under(all, 'clause');
    const breachesByClause = await Promise.all(
      Object.entries(clauses)
        .filter(([, n]) => n > 0)
        .map(async ([key, breaches]) => ({ clause: await this.reader.clauseText(key), breaches })),
    );
    breachesByClause.sort((a, b) => b.breaches - a.breaches || (a.clause < b.clause ? -1 : 1));
    const last = period.to.slice(0, 7);
    let first = last;
    for (let i = 0; i < 5; i++) first = previousMonth(first);
    const trendMonths = await this.reader.read({ from: monthStart(first), to: monthEnd(last) }, accountId);
    const trend: SlaComplianceSummary['trend'] = [];
    for (const m of monthsOf({ from: monthStart(first), to: monthEnd(last) })) {
      const f = complianceOf(sumCounters(trendMonths.filter((x) => x.month === m).map((x) => x.counters)));
      trend.push({ month: m, cases: f.cases, firstResponseMetPct: f.firstResponse.metPct, resolutionMetPct: f.resolution.metPct });
    }
    return {
      summary: {
        totals: complianceOf(all),
        bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, complianceOf(all, [s])])) as Record<Severity, ComplianceFigures>,
        byMonth,
        byAccount,
        breachesByClause,
        // In a fixed order: the stored counters' field order is the order events happened to arrive in.
        breachesByClock: Object.fromEntries(Object.entries(under(all, 'bk')).filter(([, n]) => n > 0).sort(([a], [b]) => clockRank(a) - clockRank(b) || (a < b ? -1 : a > b ? 1 : 0))),
        trend,
      },
      months,
      names,
    };
  }

  async build(period: ReportPeriod, accountId?: string, generatedAt = new Date()): Promise<ReportDoc> {
    const { summary, months, names } = await this.summary(period, accountId);
    const rows: Row[] = [];
    for (const m of months) {
      for (const s of SEVERITIES) {
        const f = complianceOf(m.counters, [s]);
        if (f.cases === 0 && f.breaches === 0) continue;
        rows.push(complianceRow({ month: m.month, account_id: m.accountId, account_name: names.get(m.accountId) ?? m.accountId, severity: s }, f));
      }
    }
    return {
      report: 'sla-compliance',
      title: 'SLA compliance',
      period,
      ...(accountId ? { accountId, accountName: names.get(accountId) ?? accountId } : {}),
      generatedAt: generatedAt.toISOString(),
      figures: complianceFigures(summary),
      charts: complianceCharts(summary),
      tables: [
        { name: 'compliance', title: `Compliance by month, account and severity (${periodLabel(period)})`, columns: COMPLIANCE_COLUMNS, rows },
        {
          name: 'by_severity',
          title: 'By severity',
          columns: [{ key: 'severity', header: 'severity', width: 8 }, ...COMPLIANCE_COLUMNS.slice(4)],
          rows: SEVERITIES.map((s) => complianceRow({ severity: s }, summary.bySeverity[s])),
        },
        {
          name: 'breaches_by_clause',
          title: 'Breaches by clause of the policy',
          columns: [
            { key: 'clause', header: 'clause', width: 40 },
            { key: 'breaches', header: 'breaches', kind: 'int', width: 6 },
          ],
          rows: summary.breachesByClause.map((b) => ({ clause: b.clause, breaches: b.breaches })),
        },
      ],
      summary,
      expectedRows: rows.length,
    };
  }
}

export function complianceFigures(s: SlaComplianceSummary): ReportDoc['figures'] {
  const t = s.totals;
  return [
    { label: 'Cases received', value: String(t.cases), detail: `${t.resolved} resolved` },
    {
      label: 'First responses within goal',
      value: fmtPct(t.firstResponse.metPct),
      detail: `${t.firstResponse.met} of ${t.firstResponse.met + t.firstResponse.missed} decided, ${t.firstResponse.pending} pending`,
    },
    {
      label: 'Resolutions within goal',
      value: fmtPct(t.resolution.metPct),
      detail: `${t.resolution.met} of ${t.resolution.met + t.resolution.missed} decided, ${t.resolution.pending} pending`,
    },
    { label: 'SLA breaches', value: String(t.breaches), detail: Object.entries(s.breachesByClock).map(([k, n]) => `${k.replace(/_/g, ' ')}: ${n}`).join(', ') || 'none' },
    {
      label: 'First response, business time',
      value: `p50 ${formatDuration(t.firstResponse.p50Seconds)}`,
      detail: `p90 ${formatDuration(t.firstResponse.p90Seconds)}`,
    },
    {
      label: 'Resolution, business time',
      value: `p50 ${formatDuration(t.resolution.p50Seconds)}`,
      detail: `p90 ${formatDuration(t.resolution.p90Seconds)}`,
    },
  ];
}

export function complianceCharts(s: SlaComplianceSummary): Chart[] {
  return [
    {
      title: 'Compliance trend (goals met, %)',
      option: {
        legend: { top: 0, data: ['First response', 'Resolution'] },
        grid: { left: 45, right: 20, top: 35, bottom: 30 },
        xAxis: { type: 'category', data: s.trend.map((t) => t.month) },
        yAxis: { type: 'value', min: 0, max: 100 },
        series: [
          { name: 'First response', type: 'line', data: s.trend.map((t) => t.firstResponseMetPct), label: { show: true, formatter: '{c}' }, connectNulls: true },
          { name: 'Resolution', type: 'line', data: s.trend.map((t) => t.resolutionMetPct), label: { show: true, formatter: '{c}' }, connectNulls: true },
        ],
      },
    },
    {
      title: 'Breaches by severity',
      option: {
        grid: { left: 45, right: 20, top: 20, bottom: 30 },
        xAxis: { type: 'category', data: [...SEVERITIES] },
        yAxis: { type: 'value', minInterval: 1 },
        series: [{ type: 'bar', data: SEVERITIES.map((sev) => s.bySeverity[sev].breaches), label: { show: true, position: 'top' } }],
      },
    },
  ];
}
