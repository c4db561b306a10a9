import { ErrorCodes } from '@sladesk/contracts';
import { applyDecorators, INestApplication } from '@nestjs/common';
import { ApiResponse, DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

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

/** OpenAPI from the controllers, with request schemas generated from the contract classes. */
export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('SLA Desk API')
    .setDescription('Support & Maintenance contracts as software. Errors carry a stable `code`.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  doc.components = doc.components ?? {};
  doc.components.schemas = {
    ...(doc.components.schemas ?? {}),
    ...(validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/' }) as Record<string, object>),
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
  return doc;
}
