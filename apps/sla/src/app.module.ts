import { healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, ServiceRuntime } from '@sladesk/messaging';
import { DynamicModule, Module } from '@nestjs/common';
import { SlaEnv } from './config';

/** The sla service; its capabilities arrive with their issues (see README, "Roadmap"). */
@Module({})
export class SlaModule {
  static forRoot(runtime: ServiceRuntime, config: SlaEnv): DynamicModule {
    return {
      module: SlaModule,
      imports: [MessagingModule.forRuntime(runtime), loggerModule('sla', config.LOG_LEVEL), mongoModule(config)],
      controllers: [healthController('sla')],
      providers: [mongoHealthCheck],
    };
  }
}
