import { AppError, AvailabilityReportView, AvailabilityRpc, ReportPeriod } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { monthEnd, monthsOf, monthStart, periodLabel } from './period';
import { Column, Figure, ReportDoc, Row } from './report-doc';

/** Availability is answered by the sla service's availability module; a month takes one request. */
const RPC_TIMEOUT_MS = 15_000;

const COLUMNS: Column[] = [
  { key: 'month', header: 'month', width: 7 },
  { key: 'component_id', header: 'component_id', width: 10 },
  { key: 'component', header: 'component', width: 14 },
  { key: 'objective', header: 'objective', width: 14 },
  { key: 'kind', header: 'kind', width: 9 },
  // `availability_pct` and `target_pct` stay raw numbers (4 decimals): 99.8884 must not print as 99.9 %.
  { key: 'target', header: 'target', width: 7 },
  { key: 'period_minutes', header: 'period_minutes', width: 7 },
  { key: 'excluded_minutes', header: 'excluded_minutes', width: 7 },
  { key: 'downtime_minutes', header: 'downtime_minutes', width: 7 },
  { key: 'availability_pct', header: 'availability_pct', width: 8 },
  { key: 'budget_left_minutes', header: 'budget_left_minutes', width: 7 },
  { key: 'incidents', header: 'incidents', kind: 'int', width: 5 },
  { key: 'late', header: 'late', kind: 'int', width: 4 },
  { key: 'met', header: 'met', width: 4 },
  { key: 'final', header: 'final', width: 4 },
  { key: 'credit_basis_points', header: 'credit_basis_points', kind: 'int', width: 6 },
];

const CREDIT_COLUMNS: Column[] = [
  { key: 'month', header: 'month', width: 7 },
  { key: 'account_id', header: 'account_id', width: 12 },
  { key: 'component_id', header: 'component_id', width: 12 },
  { key: 'credit_basis_points', header: 'credit_basis_points', kind: 'int', width: 8 },
];

const LATE_COLUMNS: Column[] = [
  { key: 'month', header: 'month', width: 7 },
  { key: 'component_id', header: 'component_id', width: 10 },
  { key: 'incident_id', header: 'incident_id', width: 14 },
  { key: 'title', header: 'title', width: 16 },
  { key: 'identified_at', header: 'identified_at', kind: 'datetime', width: 12 },
  { key: 'restored_at', header: 'restored_at', kind: 'datetime', width: 12 },
  { key: 'restoration_minutes', header: 'restoration_minutes', width: 7 },
  { key: 'late_minutes', header: 'late_minutes', width: 7 },
  { key: 'credit_basis_points', header: 'credit_basis_points', kind: 'int', width: 6 },
];

/** Said when the period is not whole months: objectives are counted per calendar month in their own zone. */
export const AVAILABILITY_WHOLE_MONTHS = 'Availability objectives are counted per calendar month in each objective\'s time zone: the months the period touches are shown whole.';

/**
 * Per component, objective and month: target, downtime, availability, credits — the figures of the sla
 * service's availability module (`sladesk.rpc.sla.availability.get.v1`, what `GET /v1/availability`
 * shows), not a copy of them: the objective math (zones, exclusions, countsFrom, overlaps, open
 * incidents finished at read time) lives there once. Why a request and not a read model: see the README.
 */
@Injectable()
export class AvailabilityReport {
  constructor(private readonly bus: NatsBus) {}

  /** Every month the period touches, as sla reports it (an sla that does not answer fails the report with its code). */
  async months(period: ReportPeriod, accountId?: string): Promise<AvailabilityReportView[]> {
    const views: AvailabilityReportView[] = [];
    // one month at a time: a 36-month report must not send 36 requests at one sla instance at once
    for (const month of monthsOf(period)) {
      views.push(await this.bus.request(AvailabilityRpc.AvailabilityGet, { month, ...(accountId ? { accountId } : {}) }, { timeoutMs: RPC_TIMEOUT_MS }));
    }
    return views;
  }

  async build(period: ReportPeriod, accountId?: string, generatedAt = new Date()): Promise<ReportDoc> {
    return availabilityDoc(period, accountId, await this.months(period, accountId), generatedAt);
  }

  /** For the digest: the report, or one that says why there are no figures when sla cannot be reached. */
  async buildOrExplain(period: ReportPeriod, generatedAt = new Date()): Promise<ReportDoc> {
    try {
      return await this.build(period, undefined, generatedAt);
    } catch (e) {
      if (!(e instanceof AppError) || !['SERVICE.UNAVAILABLE', 'SERVICE.TIMEOUT'].includes(e.code)) throw e;
      return unavailableDoc(period, generatedAt, `Availability figures are missing: the sla service, which measures availability, did not answer (${e.code}). No figures are shown rather than invented ones.`);
    }
  }
}

const round = (v: number | undefined, digits: number): number | null => (v === undefined ? null : Math.round(v * 10 ** digits) / 10 ** digits);

export function availabilityDoc(period: ReportPeriod, accountId: string | undefined, views: AvailabilityReportView[], generatedAt: Date): ReportDoc {
  const rows: Row[] = [];
  const credits: Row[] = [];
  const late: Row[] = [];
  for (const v of views) {
    for (const c of v.components) {
      for (const o of c.objectives) {
        rows.push({
          month: v.month,
          component_id: c.componentId,
          component: c.name,
          objective: o.objectiveId,
          kind: o.kind,
          target: o.kind === 'availability' ? `${o.targetPercent} %` : `restored within ${o.maxMinutes} min`,
          period_minutes: o.periodMinutes,
          excluded_minutes: o.excludedMinutes,
          downtime_minutes: o.downtimeMinutes ?? null,
          availability_pct: round(o.availabilityPercent, 4),
          budget_left_minutes: o.budgetLeftMinutes ?? null,
          incidents: o.incidentsCounted,
          late: o.late ?? null,
          met: o.met,
          final: o.final,
          credit_basis_points: o.creditBasisPoints,
        });
      }
      for (const i of c.incidents) {
        for (const r of i.restoration ?? []) {
          if (r.met) continue;
          late.push({
            month: v.month,
            component_id: c.componentId,
            incident_id: i.incidentId,
            title: i.title ?? '',
            identified_at: i.identifiedAt,
            restored_at: i.restoredAt ?? null,
            restoration_minutes: i.restorationMinutes,
            late_minutes: r.lateMinutes,
            credit_basis_points: r.creditBasisPoints,
          });
        }
      }
    }
    for (const a of v.accounts) {
      for (const [componentId, bp] of Object.entries(a.credits).sort(([x], [y]) => x.localeCompare(y))) {
        credits.push({ month: v.month, account_id: a.accountId, component_id: componentId, credit_basis_points: bp });
      }
    }
  }
  const objectives = rows.length;
  const met = rows.filter((r) => r.met === true).length;
  const maxCredit = Math.max(0, ...rows.map((r) => Number(r.credit_basis_points)));
  const components = new Set(rows.map((r) => r.component_id)).size;
  const wholeMonths = period.from === monthStart(period.from.slice(0, 7)) && period.to === monthEnd(period.to.slice(0, 7));
  const allFinal = views.every((v) => v.components.every((c) => c.objectives.every((o) => o.final)));
  const figures: Figure[] = [
    { label: 'Objectives met', value: `${met} of ${objectives}`, detail: `${components} components, ${views.length} month${views.length === 1 ? '' : 's'}${allFinal ? '' : ', figures of a month still running'}` },
    { label: 'Largest service credit', value: `${(maxCredit / 100).toFixed(maxCredit % 100 ? 2 : 0)} %`, detail: `${maxCredit} basis points of the monthly fee` },
    { label: 'Late restorations', value: String(late.length) },
  ];
  const avail = rows.filter((r) => r.kind === 'availability');
  const lastMonth = views.at(-1)?.month;
  const chartRows = avail.filter((r) => r.month === lastMonth);
  return {
    report: 'availability',
    title: 'Availability',
    period,
    ...(accountId ? { accountId, accountName: accountId } : {}),
    generatedAt: generatedAt.toISOString(),
    ...(wholeMonths ? {} : { notice: AVAILABILITY_WHOLE_MONTHS }),
    figures,
    charts: [
      chartRows.length
        ? {
            title: `Availability per component ${lastMonth} (%)`,
            option: {
              grid: { left: 55, right: 20, top: 20, bottom: 40 },
              xAxis: { type: 'category', data: chartRows.map((r) => `${r.component_id}`) },
              yAxis: { type: 'value', min: Math.floor(Math.min(99, ...chartRows.map((r) => Number(r.availability_pct ?? 100)))), max: 100 },
              series: [{ type: 'bar', data: chartRows.map((r) => r.availability_pct), label: { show: true, position: 'top' } }],
            },
          }
        : { title: 'Availability per component', empty: 'No component has an availability objective in this period.' },
    ],
    tables: [
      { name: 'availability', title: `Availability per component and objective ${periodLabel(period)}`, columns: COLUMNS, rows },
      { name: 'credits', title: 'Service credits per account', columns: CREDIT_COLUMNS, rows: credits },
      { name: 'late_restorations', title: 'Late restorations', columns: LATE_COLUMNS, rows: late },
    ],
    summary: {
      available: true,
      source: AvailabilityRpc.AvailabilityGet,
      objectives,
      met,
      maxCreditBasisPoints: maxCredit,
      lateRestorations: late.length,
      months: views.map((v) => ({ month: v.month, method: v.method, components: v.components, accounts: v.accounts })),
    },
    expectedRows: rows.length,
  };
}

function unavailableDoc(period: ReportPeriod, generatedAt: Date, reason: string): ReportDoc {
  return {
    report: 'availability',
    title: 'Availability',
    period,
    generatedAt: generatedAt.toISOString(),
    notice: reason,
    figures: [{ label: 'Availability', value: 'unavailable', detail: 'the sla service did not answer' }],
    charts: [{ title: 'Availability per component', empty: reason }],
    tables: [{ name: 'availability', title: `Availability per component ${periodLabel(period)}`, columns: COLUMNS, rows: [] }],
    summary: { available: false, reason, months: [] },
    expectedRows: 0,
  };
}
