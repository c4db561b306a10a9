import { metricsSubject, pingSubject, SERVICES, ServiceHealth } from '@sladesk/contracts';
import { Metrics, NatsBus } from '@sladesk/messaging';
import { Controller, Get, Header, Res } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Connection } from 'mongoose';
import { AggregatorRegistry } from 'prom-client';
import { Public } from '../http/auth.guard';

type Down = { service: string; status: 'down'; error: string };

@ApiTags('operations')
@Public()
@Controller()
export class HealthHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly metrics: Metrics,
    @InjectConnection() private readonly mongo: Connection,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'NATS, MongoDB and every service, pinged over NATS; 503 unless all are up' })
  async health(@Res() reply: FastifyReply): Promise<void> {
    const nats = this.bus.nc.isClosed() ? 'down' : await this.bus.nc.flush().then(() => 'up', () => 'down');
    const mongodb = await this.mongo.db!.admin().ping().then((r) => (r.ok === 1 ? 'up' : 'down'), () => 'down');
    const services: (ServiceHealth | Down)[] = await Promise.all(
      SERVICES.map((s) =>
        this.bus
          .requestRaw<ServiceHealth>(pingSubject(s), 2000)
          .catch((e: Error): Down => ({ service: s, status: 'down', error: e.message })),
      ),
    );
    const up = nats === 'up' && mongodb === 'up' && services.every((s) => s.status === 'up');
    await reply.status(up ? 200 : 503).send({ status: up ? 'up' : 'down', nats, mongodb, services });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Prometheus metrics of the gateway and of every service that answers' })
  async prometheus(): Promise<string> {
    const fromServices = await Promise.all(
      SERVICES.map((s) => this.bus.requestRaw<object[]>(metricsSubject(s), 2000).catch(() => [] as object[])),
    );
    const own = await this.metrics.registry.getMetricsAsJSON();
    // Each set carries its own `service` label, so aggregation keeps them apart.
    return AggregatorRegistry.aggregate([own, ...fromServices]).metrics();
  }
}
