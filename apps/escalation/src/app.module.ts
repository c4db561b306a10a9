import { healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, ServiceRuntime } from '@sladesk/messaging';
import { DynamicModule, Module } from '@nestjs/common';
import { EscalationEnv } from './config';

/** The escalation service; its capabilities arrive with their issues (see README, "Roadmap"). */
@Module({})
export class EscalationModule {
  static forRoot(runtime: ServiceRuntime, config: EscalationEnv): DynamicModule {
    return {
      module: EscalationModule,
      imports: [MessagingModule.forRuntime(runtime), loggerModule('escalation', config.LOG_LEVEL), mongoModule(config)],
      controllers: [healthController('escalation')],
      providers: [mongoHealthCheck],
    };
  }
}
