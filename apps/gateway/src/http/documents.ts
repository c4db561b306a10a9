import { loadConfig, ServiceRuntime } from '@sladesk/messaging';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { OpenAPIObject } from '@nestjs/swagger';
import { GatewayModule } from '../app.module';
import { annotateRoles } from '../auth/openapi-roles';
import { GatewayEnv } from '../config';
import { buildAsyncApi } from './asyncapi';
import { buildOpenApi } from './openapi';

/**
 * Both contract documents without a running system: the gateway's module graph is built in Nest's
 * preview mode (no provider is instantiated, so nothing connects to NATS or MongoDB). They are the
 * documents the gateway serves at /openapi.json and /asyncapi.json; the client generator and the
 * contract linters read them from here.
 */
export async function buildContractDocuments(): Promise<{ openapi: OpenAPIObject; asyncapi: Record<string, unknown> }> {
  // Never connected (preview mode); a database name with `test` passes the guard that tests run under.
  const env = { LOG_LEVEL: 'silent', MONGO_URL: 'mongodb://127.0.0.1:27017/sladesk_documents_test' };
  const config = loadConfig(GatewayEnv, env, { exitOnError: false });
  const runtime = { service: 'gateway', instanceId: 'documents', startedAt: new Date() } as ServiceRuntime;
  const app = await NestFactory.create(GatewayModule.forRoot(runtime, config), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return { openapi: annotateRoles(buildOpenApi(app)), asyncapi: buildAsyncApi() };
  } finally {
    await app.close();
  }
}
