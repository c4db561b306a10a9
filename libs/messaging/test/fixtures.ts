import { CaseOpenedPayload, EventEnvelope, Events, makeEnvelope } from '@sladesk/contracts';
import { bootstrapService, loadConfig, loggerModule, MessagingModule, ServiceEnv, ServiceProcess } from '../src';
import { DynamicModule, Type } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { JetStreamServerOptions } from '../src/jetstream.server';

export function caseOpened(overrides: Partial<CaseOpenedPayload> = {}): EventEnvelope<CaseOpenedPayload> & { type: typeof Events.CaseOpened } {
  return makeEnvelope(Events.CaseOpened, {
    caseId: 'c1',
    number: 1,
    accountId: 'acme',
    channel: 'api',
    severity: 'high',
    category: 'technical',
    receivedAt: '2026-11-27T10:00:00.000Z',
    ...overrides,
  });
}

/** Boots a service process in-process around the given controllers, on real NATS and MongoDB. */
export function startTestService(
  natsUrl: string,
  mongoUrl: string,
  controllers: Type<unknown>[],
  server: Partial<Omit<JetStreamServerOptions, 'service'>> = {},
): Promise<ServiceProcess> {
  const config = loadConfig(ServiceEnv, { NATS_URL: natsUrl, MONGO_URL: mongoUrl, LOG_LEVEL: 'silent' }, {});
  return bootstrapService({
    service: 'reporting',
    config,
    handleSignals: false,
    server,
    module: (runtime): DynamicModule => ({
      module: class TestModule {},
      imports: [MessagingModule.forRuntime(runtime), loggerModule('test', 'silent'), MongooseModule.forRoot(mongoUrl)],
      controllers,
    }),
  });
}
