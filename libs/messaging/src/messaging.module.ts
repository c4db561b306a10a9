import { ServiceHealth, ServiceName } from '@sladesk/contracts';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';
import { NatsBus } from './nats-bus';
import { OutboxRelay } from './outbox';

/** What a service process owns outside Nest: its NATS connection, metrics and outbox relay. */
export interface ServiceRuntime {
  service: ServiceName;
  instanceId: string;
  bus: NatsBus;
  metrics: Metrics;
  relay: OutboxRelay;
  startedAt: Date;
}

export const SERVICE_RUNTIME = Symbol('SERVICE_RUNTIME');

/** Extra health checks a service contributes (e.g. its database). */
export type HealthCheck = () => Promise<boolean> | boolean;
export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

@Global()
@Module({})
export class MessagingModule {
  static forRuntime(runtime: ServiceRuntime): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: SERVICE_RUNTIME, useValue: runtime },
        { provide: NatsBus, useValue: runtime.bus },
        { provide: Metrics, useValue: runtime.metrics },
        { provide: OutboxRelay, useValue: runtime.relay },
      ],
      exports: [SERVICE_RUNTIME, NatsBus, Metrics, OutboxRelay],
    };
  }
}

export async function healthOf(runtime: ServiceRuntime, checks: Record<string, HealthCheck>): Promise<ServiceHealth> {
  const results: Record<string, 'up' | 'down'> = { nats: runtime.bus.nc.isClosed() ? 'down' : 'up' };
  for (const [name, check] of Object.entries(checks)) {
    results[name] = await Promise.resolve()
      .then(check)
      .then((ok) => (ok ? 'up' : 'down'))
      .catch(() => 'down' as const);
  }
  return {
    service: runtime.service,
    status: Object.values(results).every((r) => r === 'up') ? 'up' : 'degraded',
    instanceId: runtime.instanceId,
    uptimeSeconds: Math.round((Date.now() - runtime.startedAt.getTime()) / 1000),
    checks: results,
  };
}
