import { ErrorCodes } from '@sladesk/contracts';
import { applyDecorators, INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { ApiResponse, DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PUBLIC_ROUTE } from './auth.guard';
import { contractSchemas, reachableSchemas, toOpenApi30Schema } from './contract-schemas';

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Documents the error answers of a route, all with the one error shape. */
export const errorResponses = (...statuses: number[]) =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, description: 'Error', schema: ref('Error') })));

const caseView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    number: { type: 'integer' },
    accountId: { type: 'string' },
    contact: ref('ContactDto'),
    channel: { type: 'string' },
    subject: { type: 'string' },
    description: { type: 'string' },
    severity: { type: 'string' },
    category: { type: 'string' },
    status: { type: 'string' },
    receivedAt: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

/**
 * The operationIds (`Controller_method`, @nestjs/swagger's default) of routes marked @Public(): they
 * need no API key (health, metrics, signed webhooks and links). The guard reads the same mark.
 */
function publicOperations(app: INestApplication): Set<string> {
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const cls = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null;
      if (!cls) continue;
      const wholeClass = Reflect.getMetadata(PUBLIC_ROUTE, cls) === true;
      for (const method of Object.getOwnPropertyNames(cls.prototype)) {
        const handler: unknown = Object.getOwnPropertyDescriptor(cls.prototype, method)?.value; // not getters
        if (typeof handler !== 'function' || method === 'constructor') continue;
        if (wholeClass || Reflect.getMetadata(PUBLIC_ROUTE, handler) === true) ids.add(`${cls.name}_${method}`);
      }
    }
  }
  return ids;
}

type Parameter = { name: string; in: string; required?: boolean; description?: string };

/**
 * One parameter per header, whatever the case: a handler reading `@Headers('idempotency-key')` and
 * documenting `@ApiHeader({ name: 'Idempotency-Key', required: false })` gives two parameters for one
 * header, the undocumented one required. The documented one is kept, required only if both say so.
 */
function mergeHeaderParameters(op: { parameters?: Parameter[] }): void {
  if (!op.parameters) return;
  const byName = new Map<string, Parameter>();
  const merged: Parameter[] = [];
  for (const p of op.parameters) {
    if (p.in !== 'header') {
      merged.push(p);
      continue;
    }
    const key = p.name.toLowerCase();
    const seen = byName.get(key);
    if (!seen) {
      byName.set(key, p);
      merged.push(p);
      continue;
    }
    const keep = seen.description || !p.description ? seen : p;
    const required = Boolean(seen.required && p.required);
    const result = { ...keep, required };
    byName.set(key, result);
    merged[merged.indexOf(seen)] = result;
  }
  op.parameters = merged;
}

/**
 * OpenAPI 3.0 from the controllers, with request schemas generated from the contract classes. Every
 * operation states its security (the API key, or none for public routes) and has a summary; schemas
 * use only what OpenAPI 3.0 has (see toOpenApi30Schema), so linters and client generators accept it.
 * Works on an application created with `{ preview: true }` too (nothing connected): see
 * `documents.ts`.
 */
export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('SLA Desk API')
    .setDescription('Support & Maintenance contracts as software. Errors carry a stable `code`.')
    .setVersion('1')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('/', 'The gateway that serves this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'An API key: `Authorization: Bearer <key>`' })
    .addSecurityRequirements('bearer')
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  const open = publicOperations(app);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item) as [string, { operationId?: string; summary?: string; security?: unknown }][]) {
      if (typeof op !== 'object' || !op || !('responses' in op)) continue;
      op.security = op.operationId && open.has(op.operationId) ? [] : [{ bearer: [] }];
      mergeHeaderParameters(op as { parameters?: Parameter[] });
      // A route its controller left without @ApiOperation({ summary }) still gets a line in the docs.
      op.summary ??= `${method.toUpperCase()} ${path}`;
    }
  }
  doc.components = doc.components ?? {};
  const schemas: Record<string, object> = {
    ...(doc.components.schemas ?? {}),
    ...contractSchemas(),
    CaseView: caseView,
    Error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ErrorCodes) },
        message: { type: 'string' },
        details: {},
        errorId: { type: 'string', description: 'Present on 500: quote it to support' },
      },
    },
  };
  // Only what the HTTP API uses: the contract classes of NATS commands and events are AsyncAPI's.
  const used = reachableSchemas(doc.paths, schemas);
  doc.components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return toOpenApi30Schema(doc);
}
