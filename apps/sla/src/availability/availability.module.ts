import { loadConfig, SERVICE_RUNTIME, ServiceRuntime } from '@sladesk/messaging';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, OnModuleInit, Provider, Type } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { SLA_CORE, SlaCore } from '../sla-core';
import { Availability } from './availability-core';
import { AvailabilityEnv } from './availability.env';
import { AVAILABILITY, AvailabilityMessageController } from './availability.message.controller';

/** Seeds the default contract's components, then starts the timers and the probes; stops them. */
@Injectable()
export class AvailabilityLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(AVAILABILITY) private readonly a: Availability) {}

  onModuleInit(): Promise<void> {
    return this.a.seed();
  }

  onApplicationBootstrap(): Promise<void> {
    return this.a.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.a.stop();
  }
}

/** What the sla module adds for availability (see README "Availability"): one controller, the wiring, its lifecycle. */
export const AVAILABILITY_CONTROLLERS: Type<unknown>[] = [AvailabilityMessageController];

export function availabilityProviders(): Provider[] {
  return [
    {
      provide: AVAILABILITY,
      inject: [getConnectionToken(), SERVICE_RUNTIME, SLA_CORE],
      useFactory: (conn: Connection, rt: ServiceRuntime, core: SlaCore) => new Availability(conn.db!, rt, core.outbox, loadConfig(AvailabilityEnv)),
    },
    AvailabilityLifecycle,
  ];
}
