import { ServiceName } from '@sladesk/contracts';
import { DynamicModule, INestMicroservice, Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getConnectionToken } from '@nestjs/mongoose';
import { Logger } from 'nestjs-pino';
import { Connection } from 'mongoose';
import { ServiceEnv } from './config';
import { DeadLetterStore } from './dead-letters';
import { JetStreamServer, JetStreamServerOptions } from './jetstream.server';
import { defaultInstanceId } from './logger';
import { ServiceRuntime } from './messaging.module';
import { Metrics } from './metrics';
import { NatsBus } from './nats-bus';
import { OutboxRelay, OutboxRelayOptions } from './outbox';
import { PassThroughRpcFilter } from './rpc-exception.filter';

export interface ServiceProcess {
  app: INestMicroservice;
  runtime: ServiceRuntime;
  server: JetStreamServer;
  /** Graceful stop: no new messages, in-flight ones finish, the outbox is flushed, connections close. */
  stop(): Promise<void>;
}

export interface BootstrapOptions<C extends ServiceEnv> {
  service: ServiceName;
  config: C;
  module: (runtime: ServiceRuntime, config: C) => DynamicModule;
  server?: Partial<Omit<JetStreamServerOptions, 'service'>>;
  outbox?: OutboxRelayOptions;
  /** Install SIGTERM/SIGINT handlers that stop gracefully and exit; default true. */
  handleSignals?: boolean;
}

/** Starts one service: NATS and streams first, then Nest with the JetStream transport, then the relay. */
export async function bootstrapService<C extends ServiceEnv>(options: BootstrapOptions<C>): Promise<ServiceProcess> {
  const { service, config } = options;
  const bus = await NatsBus.connect(config.NATS_URL, `sladesk-${service}`);
  await bus.ensureStreams();
  const metrics = new Metrics(service);
  const runtime: ServiceRuntime = {
    service,
    instanceId: config.SLADESK_INSTANCE_ID ?? defaultInstanceId(),
    bus,
    metrics,
    relay: new OutboxRelay(bus, metrics, { sweepIntervalMs: config.SLADESK_OUTBOX_SWEEP_MS, fullSweepMs: config.SLADESK_OUTBOX_FULL_SWEEP_MS, ...options.outbox }),
    startedAt: new Date(),
  };
  const server = new JetStreamServer(bus, metrics, {
    service,
    ackWaitMs: config.SLADESK_ACK_WAIT_MS,
    maxDeliver: config.SLADESK_MAX_DELIVER,
    backoffBaseMs: config.SLADESK_BACKOFF_BASE_MS,
    ...options.server,
  });
  const app = await NestFactory.createMicroservice(options.module(runtime, config), {
    strategy: server,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new PassThroughRpcFilter());
  server.useDeadLetterStore(new DeadLetterStore(app.get<Connection>(getConnectionToken())));
  await app.listen();
  runtime.relay.start();
  const log = new NestLogger(service);
  log.log(`${service} ready (instance ${runtime.instanceId})`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.log(`${service} stopping: draining consumers and flushing the outbox`);
      await server.close();
      await runtime.relay.stop();
      await app.close();
      await bus.close();
    })());

  if (options.handleSignals ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        stop().then(
          () => process.exit(0),
          (e) => {
            log.error(`unclean stop: ${(e as Error).message}`);
            process.exit(1);
          },
        );
      });
    }
  }
  return { app, runtime, server, stop };
}
