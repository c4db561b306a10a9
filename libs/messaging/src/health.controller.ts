import { metricsSubject, pingSubject, ServiceHealth, ServiceName } from '@sladesk/contracts';
import { Controller, Inject, Optional, Type } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { HEALTH_CHECKS, HealthCheck, healthOf, SERVICE_RUNTIME, ServiceRuntime } from './messaging.module';

/** A controller answering `sladesk.rpc.<service>.ping.v1` and `.metrics.v1` for the gateway. */
export function healthController(service: ServiceName): Type<unknown> {
  @Controller()
  class HealthController {
    constructor(
      @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
      @Optional() @Inject(HEALTH_CHECKS) private readonly checks: Record<string, HealthCheck> = {},
    ) {}

    @MessagePattern(pingSubject(service))
    ping(): Promise<ServiceHealth> {
      return healthOf(this.runtime, this.checks ?? {});
    }

    @MessagePattern(metricsSubject(service))
    metrics(): Promise<unknown> {
      return this.runtime.metrics.registry.getMetricsAsJSON();
    }
  }
  return HealthController;
}
