import { healthController, loggerModule, MessagingModule, mongoHealthCheck, mongoModule, SERVICE_RUNTIME, ServiceRuntime } from '@sladesk/messaging';
import { DynamicModule, Module } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { AVAILABILITY_CONTROLLERS, availabilityProviders } from './availability/availability.module';
import { CalendarsMessageController } from './calendars/calendars.message.controller';
import { CalendarsService } from './calendars/calendars.service';
import { CaseClocksMessageController } from './clocks/case-clocks.message.controller';
import { CaseClocksService } from './clocks/case-clocks.service';
import { SlaEnv } from './config';
import { PoliciesMessageController } from './policies/policies.message.controller';
import { PoliciesService } from './policies/policies.service';
import { createSlaCore, SLA_CORE, SlaCore, SlaLifecycle } from './sla-core';

/** The sla service: calendars, SLA policies, per-case clocks and their durable timers; availability (components, incidents' ledger, probes). */
@Module({})
export class SlaModule {
  static forRoot(runtime: ServiceRuntime, config: SlaEnv): DynamicModule {
    return {
      module: SlaModule,
      imports: [MessagingModule.forRuntime(runtime), loggerModule('sla', config.LOG_LEVEL), mongoModule(config)],
      controllers: [healthController('sla'), CalendarsMessageController, PoliciesMessageController, CaseClocksMessageController, ...AVAILABILITY_CONTROLLERS],
      providers: [
        mongoHealthCheck,
        { provide: SlaEnv, useValue: config },
        {
          provide: SLA_CORE,
          inject: [getConnectionToken(), SERVICE_RUNTIME],
          useFactory: (conn: Connection, rt: ServiceRuntime) => createSlaCore(conn.db!, rt, config),
        },
        { provide: CalendarsService, inject: [SLA_CORE], useFactory: (core: SlaCore) => core.calendars },
        { provide: PoliciesService, inject: [SLA_CORE], useFactory: (core: SlaCore) => core.policies },
        { provide: CaseClocksService, inject: [SLA_CORE], useFactory: (core: SlaCore) => core.clocks },
        SlaLifecycle,
        ...availabilityProviders(),
      ],
    };
  }
}
