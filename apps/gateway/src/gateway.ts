import helmet from '@fastify/helmet';
import { Metrics, NatsBus, OutboxRelay, ServiceRuntime, defaultInstanceId } from '@sladesk/messaging';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { Histogram } from 'prom-client';
import { GatewayModule } from './app.module';
import { AuditLog, WithErrorCode } from './auth/audit';
import { annotateRoles } from './auth/openapi-roles';
import { unruledRoutes } from './auth/route-rules';
import { carryCallerScope } from './auth/scoped-bus';
import { GatewayEnv } from './config';
import { clientErrorHandler, fastifyErrorHandler } from './http/errors';
import { buildAsyncApi } from './http/asyncapi';
import { buildOpenApi } from './http/openapi';

export interface Gateway {
  app: NestFastifyApplication;
  url: string;
  /** Every route the HTTP server serves (Nest's controllers, the docs), as Fastify registered them. */
  routes: { method: string; url: string }[];
  stop(): Promise<void>;
}

/** Builds and starts the HTTP gateway (also used in-process by the end-to-end tests). */
export async function startGateway(config: GatewayEnv): Promise<Gateway> {
  // Every request the gateway sends while serving an account-scoped caller carries that scope.
  const bus = carryCallerScope(await NatsBus.connect(config.NATS_URL, 'sladesk-gateway'));
  const metrics = new Metrics('gateway');
  const runtime: ServiceRuntime = {
    service: 'gateway',
    instanceId: config.SLADESK_INSTANCE_ID ?? defaultInstanceId(),
    bus,
    metrics,
    relay: new OutboxRelay(bus, metrics),
    startedAt: new Date(),
  };
  const adapter = new FastifyAdapter({
    bodyLimit: config.SLADESK_BODY_LIMIT,
    trustProxy: trustProxyOf(config.SLADESK_TRUST_PROXY),
    // Errors the router and Node's parser answer themselves get our shape and codes too.
    frameworkErrors: fastifyErrorHandler,
    clientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(runtime, config), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));

  const fastify = app.getHttpAdapter().getInstance();
  const routes: Gateway['routes'] = [];
  fastify.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  fastify.setErrorHandler(fastifyErrorHandler);
  await secureHeaders(app, config);
  const audit = app.get(AuditLog);
  fastify.addHook('onResponse', async (req, reply) => audit.outcome(req, reply as WithErrorCode));
  const duration = new Histogram({
    name: 'sladesk_http_request_seconds',
    help: 'HTTP requests served by the gateway.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics.registry],
  });
  fastify.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const document = annotateRoles(buildOpenApi(app));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', raw: ['json'] });
  const asyncApi = buildAsyncApi();
  fastify.get('/asyncapi.json', async () => asyncApi);

  await app.listen(config.PORT, config.HOST);
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST}:${port}`;
  const unruled = unruledRoutes(routes);
  if (unruled.length) new NestLogger('gateway').error(`routes without a rule in ROUTE_RULES (admin keys only): ${unruled.join(', ')}`);
  new NestLogger('gateway').log(`gateway ready, listening on ${url} (docs at ${url}/docs)`);

  let stopping: Promise<void> | undefined;
  return {
    app,
    url,
    routes,
    stop: () =>
      (stopping ??= (async () => {
        // Idle keep-alive connections close at once; a request still in flight (or a client that
        // never finishes sending one) gets the grace, then its connection is closed.
        const force = setTimeout(() => fastify.server.closeAllConnections(), config.SLADESK_SHUTDOWN_GRACE_MS);
        try {
          await app.close();
        } finally {
          clearTimeout(force);
        }
        await bus.close();
      })()),
  };
}

/** SLADESK_TRUST_PROXY as Fastify's trustProxy: true/false, a hop count, or addresses and CIDRs. */
export function trustProxyOf(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/**
 * Security headers on every answer (@fastify/helmet): the API serves JSON and files, so its CSP lets
 * nothing load; only the Swagger UI under /docs may run its own scripts and styles. CORS is closed
 * unless SLADESK_CORS_ORIGINS names the origins allowed.
 */
async function secureHeaders(app: NestFastifyApplication, config: GatewayEnv): Promise<void> {
  const none = ["'none'"];
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: none, frameAncestors: none, baseUri: none, formAction: none } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  const docs = ["default-src 'self'", "script-src 'self' 'unsafe-inline'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"].join('; ');
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (req, reply) => {
      if (req.url === '/docs' || req.url.startsWith('/docs/') || req.url.startsWith('/docs?')) void reply.header('content-security-policy', docs);
    });
  if (config.SLADESK_CORS_ORIGINS.length) {
    app.enableCors({
      origin: config.SLADESK_CORS_ORIGINS,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-correlation-id'],
      exposedHeaders: ['x-correlation-id', 'retry-after', 'location', 'content-disposition'],
      maxAge: 600,
    });
  }
}
