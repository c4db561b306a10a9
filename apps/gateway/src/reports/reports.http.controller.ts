import { DigestView, ListDigestsQuery, REPORT_FORMATS, ReportKind, ReportQuery, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { applyDecorators, Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GatewayEnv } from '../config';
import { errorResponses } from '../http/openapi';
import { exportStream, sendFileHeaders, sendJob } from './export-download';
import { digestSchema, exportJobSchema } from './report.openapi';

/** Rendering a report may take longer than a plain request: at least this long is waited for. */
export const RENDER_TIMEOUT_MS = 60_000;

const PRODUCES = ['application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/pdf'];

const ReportRoute = (summary: string, description: string, formats: readonly string[] = REPORT_FORMATS.filter((f) => f !== 'zip')) =>
  applyDecorators(
    ApiOperation({
      summary,
      description: `${description}\n\nSmall reports are answered at once (200). One expected to exceed the reporting service's row limit (SLADESK_REPORT_INLINE_MAX_ROWS) is written as an export job: 202 with the job and its Location; follow GET /v1/exports/{id}, then download it.`,
    }),
    ApiQuery({ name: 'format', required: false, enum: formats, description: 'default json' }),
    ApiQuery({ name: 'month', required: false, description: 'YYYY-MM (UTC days); or from/to; default the current month' }),
    ApiQuery({ name: 'from', required: false, description: 'first day YYYY-MM-DD (UTC, inclusive)' }),
    ApiQuery({ name: 'to', required: false, description: 'last day YYYY-MM-DD (UTC, inclusive)' }),
    ApiQuery({ name: 'accountId', required: false }),
    ApiProduces(...PRODUCES, ...(formats.includes('zip') ? ['application/zip'] : [])),
    ApiResponse({ status: 200, description: 'The report in the format asked for' }),
    ApiResponse({ status: 202, description: 'Written as an export job (see Location)', schema: exportJobSchema }),
    errorResponses(400, 401, 503, 504),
  );

/** The reports executives and auditors read, in JSON, CSV, XLSX and PDF (the support record also as an evidence pack). */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('v1/reports')
export class ReportsHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  private async send(report: ReportKind, q: ReportQuery, reply: FastifyReply): Promise<void> {
    const timeoutMs = Math.max(this.config.SLADESK_RPC_TIMEOUT_MS, RENDER_TIMEOUT_MS);
    const rendered = await this.bus.request(Rpc.ReportRender, { ...q, report }, { timeoutMs });
    if (rendered.kind === 'file') {
      const data = Buffer.from(rendered.data, 'base64');
      await sendFileHeaders(reply, rendered.contentType, rendered.filename, data.length).send(data);
      return;
    }
    const job = rendered.job;
    if (job.state === 'done') {
      await sendFileHeaders(reply, job.contentType, job.filename, job.bytes).send(exportStream(this.bus, job, this.config.SLADESK_RPC_TIMEOUT_MS));
      return;
    }
    await sendJob(reply, job);
  }

  @Get('support-record')
  @ReportRoute(
    'The system of record for a period: per case the date, time and name of the contact, the response, description and analysis, every step taken, and the resolution',
    'format=zip is the evidence pack: the CSV and PDF, every case\'s hash-chained timeline with its head hash, a manifest and verify.mjs, which an auditor runs offline (node verify.mjs .).',
    REPORT_FORMATS,
  )
  supportRecord(@Query() q: ReportQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.send('support-record', q, reply);
  }

  @Get('sla-compliance')
  @ReportRoute('First-response and resolution goals met (%), breaches with their clauses, p50/p90 in business time, by account, severity and month', 'Percentiles are nearest-rank over fixed histogram buckets (exact at bucket bounds, otherwise the bound above).')
  slaCompliance(@Query() q: ReportQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.send('sla-compliance', q, reply);
  }

  @Get('escalations')
  @ReportRoute('Escalations by reason and tier, acknowledged share and time to acknowledge', 'Counted on the day of the first notification; time to acknowledge is wall-clock time.')
  escalations(@Query() q: ReportQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.send('escalations', q, reply);
  }

  @Get('availability')
  @ReportRoute('Availability per component and month: objectives, downtime, credits', 'The figures of the sla service\'s availability module (what GET /v1/availability shows), for every month the period touches, as whole months: per component and objective, target, downtime, availability, budget left, met, credit; per account its credits; the late restorations. 503 SERVICE.UNAVAILABLE when the sla service does not answer.')
  availability(@Query() q: ReportQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.send('availability', q, reply);
  }

  @Get('notices')
  @ReportRoute('Every notification sent: what, to whom, when, outcome', 'Escalation notifications now; customer notices of maintenance and advisories as their delivery events are published.')
  notices(@Query() q: ReportQuery, @Res() reply: FastifyReply): Promise<void> {
    return this.send('notices', q, reply);
  }

  @Get('digests')
  @ApiOperation({ summary: 'The monthly executive digests made so far (newest first); each PDF is an export to download' })
  @ApiQuery({ name: 'month', required: false })
  @ApiResponse({ status: 200, description: 'Digests', schema: { type: 'array', items: digestSchema } })
  @errorResponses(400, 401, 503)
  digests(@Query() q: ListDigestsQuery): Promise<DigestView[]> {
    return this.bus.request(Rpc.DigestList, q, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}
