import { ReportPeriod } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { periodLabel } from './period';
import { Column, ReportDoc } from './report-doc';

/** Said in every format of the availability report, and in the digest, until the availability work lands. */
export const AVAILABILITY_NOT_MEASURED =
  'Availability is not measured yet: the availability objectives, their downtime and service credits come from the availability work, which has not landed. No figures are shown rather than invented ones.';

const COLUMNS: Column[] = [
  { key: 'month', header: 'month', width: 7 },
  { key: 'component', header: 'component', width: 16 },
  { key: 'objective', header: 'objective', width: 12 },
  { key: 'downtime_seconds', header: 'downtime_seconds', kind: 'seconds', width: 8 },
  { key: 'availability_pct', header: 'availability_pct', kind: 'percent', width: 8 },
  { key: 'met', header: 'met', width: 5 },
  { key: 'credit_basis_points', header: 'credit_basis_points', kind: 'int', width: 8 },
];

/** Per component and month: objective, downtime, credits — empty, and saying why, until there are availability events. */
@Injectable()
export class AvailabilityReport {
  build(period: ReportPeriod, accountId?: string, generatedAt = new Date()): ReportDoc {
    return {
      report: 'availability',
      title: 'Availability',
      period,
      ...(accountId ? { accountId, accountName: accountId } : {}),
      generatedAt: generatedAt.toISOString(),
      notice: AVAILABILITY_NOT_MEASURED,
      figures: [{ label: 'Availability', value: 'not measured', detail: 'the availability work has not landed' }],
      charts: [{ title: 'Availability per component', empty: AVAILABILITY_NOT_MEASURED }],
      tables: [{ name: 'availability', title: `Availability per component ${periodLabel(period)}`, columns: COLUMNS, rows: [] }],
      summary: { available: false, reason: AVAILABILITY_NOT_MEASURED, components: [] },
      expectedRows: 0,
    };
  }
}
