import { ReportPeriod } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { AvailabilityReport } from './availability.report';
import { EscalationsReport } from './escalations.report';
import { NoticesReport } from './notices.report';
import { periodLabel } from './period';
import { fmtPct, ReportDoc } from './report-doc';
import { SlaComplianceReport } from './sla-compliance.report';

/** The month at a glance for executives: SLA compliance, escalations, notices and availability, in one PDF. */
@Injectable()
export class ExecutiveDigestReport {
  constructor(
    private readonly sla: SlaComplianceReport,
    private readonly escalations: EscalationsReport,
    private readonly notices: NoticesReport,
    private readonly availability: AvailabilityReport,
  ) {}

  async build(period: ReportPeriod, generatedAt = new Date()): Promise<ReportDoc> {
    const [sla, esc, notices, availability] = await Promise.all([
      this.sla.build(period, undefined, generatedAt),
      this.escalations.build(period, undefined, generatedAt),
      this.notices.summary(period),
      this.availability.buildOrExplain(period, generatedAt),
    ]);
    return {
      ...sla,
      title: `Executive digest ${periodLabel(period)}`,
      ...(availability.notice ? { notice: availability.notice } : {}),
      figures: [
        ...sla.figures,
        ...esc.figures.slice(0, 2),
        { label: 'Notifications delivered', value: fmtPct(notices.sentPct), detail: `${notices.sent} of ${notices.total}, ${notices.failed} failed` },
        ...availability.figures,
      ],
      charts: [...sla.charts, ...esc.charts, ...availability.charts],
      tables: [...sla.tables, ...esc.tables.slice(1), ...availability.tables.slice(0, 1)],
      summary: { slaCompliance: sla.summary, escalations: esc.summary, notices, availability: availability.summary },
    };
  }
}
