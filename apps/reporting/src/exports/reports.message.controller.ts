import {
  CreateExportRequest,
  DigestView,
  ExportChunk,
  ExportChunkQuery,
  ExportJobView,
  GetExportQuery,
  ListDigestsQuery,
  RenderedReport,
  RenderReportCommand,
  Rpc,
} from '@sladesk/contracts';
import { scopeOfCaller } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DigestService } from '../digest/digest.service';
import { ExportJobs } from './export-jobs.service';
import { RenderReportService } from './render-report.service';

@Controller()
export class ReportsMessageController {
  constructor(
    private readonly rendering: RenderReportService,
    private readonly exports: ExportJobs,
    private readonly digests: DigestService,
  ) {}

  @MessagePattern(Rpc.ReportRender)
  render(@Payload() cmd: RenderReportCommand): Promise<RenderedReport> {
    return this.rendering.render(cmd);
  }

  @MessagePattern(Rpc.ExportCreate)
  create(@Payload() req: CreateExportRequest): Promise<ExportJobView> {
    return this.exports.create(req);
  }

  @MessagePattern(Rpc.ExportGet)
  get(@Payload() q: GetExportQuery): Promise<ExportJobView> {
    return this.exports.get(scopeOfCaller(q.scope), q.id);
  }

  @MessagePattern(Rpc.ExportChunk)
  chunk(@Payload() q: ExportChunkQuery): Promise<ExportChunk> {
    return this.exports.chunk(scopeOfCaller(q.scope), q.id, q.n);
  }

  @MessagePattern(Rpc.DigestList)
  digestList(@Payload() q: ListDigestsQuery): Promise<DigestView[]> {
    return this.digests.list(q.month);
  }
}
