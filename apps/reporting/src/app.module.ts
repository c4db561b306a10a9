import { healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, ServiceRuntime } from '@sladesk/messaging';
import { OutboundModule } from '@sladesk/outbound';
import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ScheduleModule } from '@nestjs/schedule';
import { CaseCountsMessageController } from './case-counts/case-counts.message.controller';
import { CaseCountsDaily, CaseCountsDailySchema } from './case-counts/case-counts.schema';
import { CaseCountsService } from './case-counts/case-counts.service';
import { ReportingEnv } from './config';
import { ReportDigest, ReportDigestSchema } from './digest/digest.schema';
import { ContactErasure } from './erasure/contact-erasure.service';
import { RmErasure, RmErasureSchema } from './erasure/erasure.schema';
import { DigestMail } from './digest/digest-mail';
import { DigestService } from './digest/digest.service';
import { ExportJobs } from './exports/export-jobs.service';
import { ReportExport, ReportExportChunk, ReportExportChunkSchema, ReportExportSchema } from './exports/export.schema';
import { RenderReportService } from './exports/render-report.service';
import { ReportsMessageController } from './exports/reports.message.controller';
import { BucketPruner } from './read-models/bucket-pruner';
import { BucketStore } from './read-models/buckets';
import { ProjectionMessageController } from './read-models/projection.message.controller';
import { Projector } from './read-models/projector.service';
import { READ_MODELS } from './read-models/read-model.schemas';
import { AvailabilityReport } from './reports/availability.report';
import { BucketReader } from './reports/bucket-reader';
import { EscalationsReport } from './reports/escalations.report';
import { ExecutiveDigestReport } from './reports/executive-digest.report';
import { NoticesReport } from './reports/notices.report';
import { ReportsService } from './reports/reports.service';
import { SlaComplianceReport } from './reports/sla-compliance.report';
import { SupportRecordReport } from './reports/support-record.report';
import { SupportRecordRows } from './reports/support-record-rows';
import { RecordPacks } from './record-packs/record-packs.service';
import { RecordReader } from './record-packs/record-reader';

/** The read models (kept from events) and what reads them: the reports, without the service around them (the rebuild uses this). */
export const READ_MODEL_PROVIDERS = [BucketStore, SupportRecordRows, RecordPacks, ContactErasure, Projector, CaseCountsService];
export const REPORT_PROVIDERS = [BucketReader, RecordReader, SlaComplianceReport, SupportRecordReport, EscalationsReport, NoticesReport, AvailabilityReport, ExecutiveDigestReport, ReportsService];

export const modelsModule = () =>
  MongooseModule.forFeature([
    { name: CaseCountsDaily.name, schema: CaseCountsDailySchema },
    ...READ_MODELS,
    { name: ReportExport.name, schema: ReportExportSchema },
    { name: ReportExportChunk.name, schema: ReportExportChunkSchema },
    { name: ReportDigest.name, schema: ReportDigestSchema },
    { name: RmErasure.name, schema: RmErasureSchema },
  ]);

@Module({})
export class ReportingModule {
  static forRoot(runtime: ServiceRuntime, config: ReportingEnv): DynamicModule {
    return {
      module: ReportingModule,
      imports: [
        MessagingModule.forRuntime(runtime),
        loggerModule('reporting', config.LOG_LEVEL),
        mongoModule(config),
        modelsModule(),
        ScheduleModule.forRoot(),
        // The digest's mail (its settings are OutboundEnv's, which ReportingEnv extends).
        OutboundModule.forRoot(config),
      ],
      controllers: [healthController('reporting'), CaseCountsMessageController, ProjectionMessageController, ReportsMessageController],
      providers: [
        { provide: ReportingEnv, useValue: config },
        mongoHealthCheck,
        ...READ_MODEL_PROVIDERS,
        ...REPORT_PROVIDERS,
        BucketPruner,
        ExportJobs,
        RenderReportService,
        DigestMail,
        DigestService,
      ],
    };
  }
}
