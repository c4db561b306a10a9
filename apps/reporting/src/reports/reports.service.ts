import { AppError, ReportFormat, ReportKind, ReportPeriod } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { Writable } from 'node:stream';
import { renderCsv } from '../render/csv';
import { renderEvidencePack } from '../render/evidence-pack';
import { renderJson } from '../render/json';
import { renderPdf } from '../render/pdf';
import { Progress } from '../render/streams';
import { renderXlsx } from '../render/xlsx';
import { AvailabilityReport } from './availability.report';
import { EscalationsReport } from './escalations.report';
import { ExecutiveDigestReport } from './executive-digest.report';
import { NoticesReport } from './notices.report';
import { ReportDoc } from './report-doc';
import { SlaComplianceReport } from './sla-compliance.report';
import { SupportRecordReport } from './support-record.report';

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
  zip: 'application/zip',
};

export function checkFormat(report: ReportKind, format: ReportFormat | undefined): ReportFormat {
  const f = format ?? 'json';
  if (f === 'zip' && report !== 'support-record') {
    throw new AppError('REPORT.FORMAT_UNSUPPORTED', 'format=zip (the evidence pack) exists for the support record only', { report, format: f });
  }
  return f;
}

export const filenameOf = (report: ReportKind, period: ReportPeriod, accountId: string | undefined, format: ReportFormat): string =>
  `sladesk-${format === 'zip' ? 'evidence-pack' : report}-${period.month ?? `${period.from}_${period.to}`}${accountId ? `-${accountId}` : ''}.${format}`;

/** Builds any report from the read models and renders it in any of its formats into a stream. */
@Injectable()
export class ReportsService {
  constructor(
    private readonly sla: SlaComplianceReport,
    readonly support: SupportRecordReport,
    private readonly escalations: EscalationsReport,
    private readonly notices: NoticesReport,
    private readonly availability: AvailabilityReport,
    private readonly executive: ExecutiveDigestReport,
  ) {}

  /** The monthly executive digest (all accounts). */
  digest(period: ReportPeriod, now = new Date()): Promise<ReportDoc> {
    return this.executive.build(period, now);
  }

  /** `sorted`: rows ordered in memory (small reports); otherwise streamed in storage order. */
  build(report: ReportKind, period: ReportPeriod, accountId: string | undefined, sorted: boolean, now = new Date()): Promise<ReportDoc> {
    switch (report) {
      case 'sla-compliance':
        return this.sla.build(period, accountId, now);
      case 'support-record':
        return this.support.build(period, accountId, sorted, now);
      case 'escalations':
        return this.escalations.build(period, accountId, now);
      case 'notices':
        return this.notices.build(period, accountId, sorted, now);
      case 'availability':
        return this.availability.build(period, accountId, now);
    }
  }

  async render(doc: ReportDoc, format: ReportFormat, out: Writable, progress = new Progress(), sorted = true): Promise<void> {
    switch (format) {
      case 'json':
        return renderJson(doc, out, progress);
      case 'csv':
        return renderCsv(doc.tables[0], out, progress);
      case 'xlsx':
        return renderXlsx(doc, out, progress);
      case 'pdf':
        return renderPdf(doc, out, progress);
      case 'zip':
        return renderEvidencePack(doc, this.support, () => this.support.cases(doc.period, doc.accountId, sorted), out, progress);
    }
  }
}
