import { healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, ServiceRuntime } from '@sladesk/messaging';
import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CaseCountsMessageController } from './case-counts/case-counts.message.controller';
import { CaseCountsDaily, CaseCountsDailySchema } from './case-counts/case-counts.schema';
import { CaseCountsService } from './case-counts/case-counts.service';
import { ReportingEnv } from './config';

@Module({})
export class ReportingModule {
  static forRoot(runtime: ServiceRuntime, config: ReportingEnv): DynamicModule {
    return {
      module: ReportingModule,
      imports: [
        MessagingModule.forRuntime(runtime),
        loggerModule('reporting', config.LOG_LEVEL),
        mongoModule(config),
        MongooseModule.forFeature([{ name: CaseCountsDaily.name, schema: CaseCountsDailySchema }]),
      ],
      controllers: [healthController('reporting'), CaseCountsMessageController],
      providers: [mongoHealthCheck, CaseCountsService],
    };
  }
}
