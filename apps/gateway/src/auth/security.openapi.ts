import { API_ROLES, ERASURE_REASONS } from '@sladesk/contracts';

// Response schemas of the security resources (the views are interfaces, so they are written out here).

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const int = { type: 'integer' };

export const apiKeySchema = {
  type: 'object',
  required: ['id', 'name', 'roles', 'origin', 'createdAt', 'state'],
  properties: {
    id: { type: 'string', description: 'The visible part of the key (`sld_<id>_…`)' },
    name: str,
    roles: { type: 'array', items: { type: 'string', enum: [...API_ROLES] } },
    accountId: { type: 'string', description: 'integration keys: the one account they see' },
    origin: { type: 'string', enum: ['api', 'environment'] },
    createdAt: time,
    createdBy: str,
    expiresAt: time,
    revokedAt: time,
    revokedBy: str,
    lastUsedAt: { type: 'string', format: 'date-time', description: 'Approximate (written at most once a minute per instance)' },
    state: { type: 'string', enum: ['active', 'expired', 'revoked'] },
  },
};

export const createdApiKeySchema = {
  ...apiKeySchema,
  required: [...apiKeySchema.required, 'key'],
  properties: { ...apiKeySchema.properties, key: { type: 'string', description: 'The key, shown this once: `Authorization: Bearer <key>`' } },
};

export const pageSchema = (item: object) => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: item }, nextCursor: { type: 'string', description: 'Absent on the last page' } },
});

export const auditRecordSchema = {
  type: 'object',
  required: ['id', 'at', 'actor', 'roles', 'ip', 'method', 'route', 'path'],
  properties: {
    id: str,
    at: time,
    actor: { type: 'string', description: '`key:<key id>`, `oidc:<subject>` or `anonymous`' },
    roles: { type: 'array', items: str },
    accountId: str,
    ip: str,
    userAgent: str,
    method: str,
    route: { type: 'string', description: 'The route pattern, e.g. /v1/cases/:id/responses' },
    path: str,
    correlationId: str,
    status: { type: 'integer', description: 'Absent while it is being served (or if the gateway stopped meanwhile)' },
    code: str,
    durationMs: int,
  },
};

export const erasureSchema = {
  type: 'object',
  required: ['id', 'emailSha256', 'reason', 'caseIds', 'entriesErased', 'retained', 'at'],
  properties: {
    id: str,
    emailSha256: str,
    accountId: str,
    reason: { type: 'string', enum: [...ERASURE_REASONS] },
    caseIds: { type: 'array', items: str },
    entriesErased: int,
    retained: {
      type: 'array',
      description: 'Entries sealed before personal data was kept apart: their hash covers the data, so it stays',
      items: { type: 'object', properties: { caseId: str, seqs: { type: 'array', items: int } } },
    },
    at: time,
    by: str,
  },
};
