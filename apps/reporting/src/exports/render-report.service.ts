import { RenderedReport, RenderReportCommand } from '@sladesk/contracts';
import { Injectable } from '@nestjs/common';
import { ReportingEnv } from '../config';
import { MemorySink, Progress } from '../render/streams';
import { resolvePeriod } from '../reports/period';
import { checkFormat, CONTENT_TYPES, filenameOf, ReportsService } from '../reports/reports.service';
import { ExportJobs } from './export-jobs.service';

/** What one NATS reply carries at most, before base64 (4/3) and the reply's envelope: under 1 MiB in all. */
export const INLINE_MAX_BYTES = 640 * 1024;

/**
 * `GET /v1/reports/…`: a small report is rendered here and answered in one reply; one expected to
 * exceed SLADESK_REPORT_INLINE_MAX_ROWS rows becomes an export job; one that turns out bigger than a
 * reply is stored as a finished export for the gateway to stream chunk by chunk.
 */
@Injectable()
export class RenderReportService {
  constructor(
    private readonly reports: ReportsService,
    private readonly exports: ExportJobs,
    private readonly config: ReportingEnv,
  ) {}

  async render(cmd: RenderReportCommand, now = new Date()): Promise<RenderedReport> {
    const format = checkFormat(cmd.report, cmd.format);
    const period = resolvePeriod(cmd, now);
    const doc = await this.reports.build(cmd.report, period, cmd.accountId, true, now);
    if (doc.expectedRows > this.config.SLADESK_REPORT_INLINE_MAX_ROWS) {
      return { kind: 'job', job: await this.exports.enqueue({ report: cmd.report, format, period, accountId: cmd.accountId, totalRows: doc.expectedRows }, now) };
    }
    const sink = new MemorySink();
    const progress = new Progress();
    await this.reports.render(doc, format, sink, progress);
    const data = sink.buffer();
    if (data.length > INLINE_MAX_BYTES) return { kind: 'job', job: await this.exports.storeRendered(doc, format, data, progress.rows, now) };
    return {
      kind: 'file',
      contentType: CONTENT_TYPES[format],
      filename: filenameOf(cmd.report, period, cmd.accountId, format),
      rows: progress.rows,
      bytes: data.length,
      data: data.toString('base64'),
    };
  }
}
