import { AppError, CreateExportRequest, ExportJobView, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';
import { exportStream, sendFileHeaders, sendJob } from './export-download';
import { exportJobSchema } from './report.openapi';

/** Big exports as jobs: any report, any size, written in the background and downloaded chunk by chunk. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('v1/exports')
export class ExportsHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  private get timeout() {
    return { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS };
  }

  @Post()
  @ApiOperation({ summary: 'Write a report as an export job (any size); follow it with GET /v1/exports/{id}; report.ready is published when it is done' })
  @ApiBody({ schema: ref('CreateExportRequest') })
  @ApiResponse({ status: 202, description: 'The job, queued (Location: /v1/exports/{id})', schema: exportJobSchema })
  @errorResponses(400, 401, 503)
  async create(@Body() body: CreateExportRequest, @Res() reply: FastifyReply): Promise<void> {
    await sendJob(reply, await this.bus.request(Rpc.ExportCreate, body, { timeoutMs: Math.max(this.timeout.timeoutMs, 30_000) }));
  }

  @Get(':id')
  @ApiOperation({ summary: 'An export job: state (queued, running, done, failed), rows written, percent, and once done its size and checksum' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The job', schema: exportJobSchema })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<ExportJobView> {
    return this.bus.request(Rpc.ExportGet, { id }, this.timeout);
  }

  @Get(':id/download')
  @ApiOperation({ summary: 'The file of a finished export, streamed (409 EXPORT.NOT_READY until it is done)' })
  @ApiParam({ name: 'id' })
  @ApiProduces('application/json', 'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/pdf', 'application/zip')
  @ApiResponse({ status: 200, description: 'The file' })
  @errorResponses(400, 401, 404, 409, 503)
  async download(@Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const job = await this.bus.request(Rpc.ExportGet, { id }, this.timeout);
    if (job.state !== 'done') throw new AppError('EXPORT.NOT_READY', `Export ${id} is ${job.state}`, { state: job.state, rows: job.rows, percent: job.percent });
    await sendFileHeaders(reply, job.contentType, job.filename, job.bytes).send(exportStream(this.bus, job, this.config.SLADESK_RPC_TIMEOUT_MS));
  }
}
