import { healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, ServiceRuntime } from '@sladesk/messaging';
import { DynamicModule, Module } from '@nestjs/common';
import { MaintenanceEnv } from './config';

/** The maintenance service; its capabilities arrive with their issues (see README, "Roadmap"). */
@Module({})
export class MaintenanceModule {
  static forRoot(runtime: ServiceRuntime, config: MaintenanceEnv): DynamicModule {
    return {
      module: MaintenanceModule,
      imports: [MessagingModule.forRuntime(runtime), loggerModule('maintenance', config.LOG_LEVEL), mongoModule(config)],
      controllers: [healthController('maintenance')],
      providers: [mongoHealthCheck],
    };
  }
}
