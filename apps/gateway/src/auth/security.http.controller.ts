import {
  ApiKeyView,
  AuditRecordView,
  CaseChainResult,
  CreateApiKeyRequest,
  CreatedApiKeyView,
  EraseContactRequest,
  ErasureView,
  ListApiKeysQuery,
  ListAuditQuery,
  Page,
  Rpc,
  VerifyAuditQuery,
} from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';
import { ApiKeys } from './api-keys.service';
import { AuditLog } from './audit';
import { principalOf } from './principal';
import { apiKeySchema, auditRecordSchema, createdApiKeySchema, erasureSchema, pageSchema } from './security.openapi';

/** API keys: created and revoked by admins; the secret is shown once. */
@ApiTags('security')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysHttpController {
  constructor(
    private readonly keys: ApiKeys,
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an API key (the secret is in this answer only)',
    description: 'Roles: admin, manager, csm, tier2, executive, agent (combinable), or integration alone with the accountId it is confined to. Only HMAC-SHA256(pepper, secret) is stored.',
  })
  @ApiBody({ schema: ref('CreateApiKeyRequest') })
  @ApiResponse({ status: 201, description: 'The key, with its secret', schema: createdApiKeySchema })
  @errorResponses(400, 401, 403, 404, 503)
  async create(@Body() body: CreateApiKeyRequest, @Req() req: FastifyRequest): Promise<CreatedApiKeyView> {
    if (body.accountId) await this.bus.request(Rpc.AccountGet, { id: body.accountId }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
    return this.keys.create(body, principalOf(req)?.id);
  }

  @Get()
  @ApiOperation({ summary: 'API keys in id order (active ones; all=true: revoked and expired too)' })
  @ApiQuery({ name: 'all', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, description: 'A page of keys (never their secrets)', schema: pageSchema(apiKeySchema) })
  @errorResponses(400, 401, 403, 503)
  list(@Query() q: ListApiKeysQuery): Promise<Page<ApiKeyView>> {
    return this.keys.list(q);
  }

  @Get(':id')
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The key (never its secret)', schema: apiKeySchema })
  @errorResponses(400, 401, 403, 404, 503)
  get(@Param('id') id: string): Promise<ApiKeyView> {
    return this.keys.get(id);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key: every gateway instance refuses it from now on (announced on NATS)' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The revoked key', schema: apiKeySchema })
  @errorResponses(400, 401, 403, 404, 503)
  revoke(@Param('id') id: string, @Req() req: FastifyRequest): Promise<ApiKeyView> {
    return this.keys.revoke(id, principalOf(req)?.id);
  }
}

/** Who changed what, from where; and every case's hash chain verified in bulk. */
@ApiTags('security')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditHttpController {
  constructor(
    private readonly audit: AuditLog,
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every mutation through the gateway, newest first: who (key id or token subject), from where, what, and its outcome' })
  @ApiQuery({ name: 'actor', required: false, description: 'key:<key id> or oidc:<subject>' })
  @ApiQuery({ name: 'from', required: false, description: 'at or after (ISO-8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'before (ISO-8601)' })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, description: 'A page of audit records', schema: pageSchema(auditRecordSchema) })
  @errorResponses(400, 401, 403, 503)
  list(@Query() q: ListAuditQuery): Promise<Page<AuditRecordView>> {
    return this.audit.list(q);
  }

  @Get('verify')
  @ApiOperation({
    summary: "Recompute every case's hash chain, streaming progress and naming each break (NDJSON)",
    description:
      'One JSON object per line: `{"type":"progress","checked","broken"}` after each batch, `{"type":"break","caseId","accountId","number","brokenAt":{"seq","reason"}}` for each case whose chain does not verify, and a last line `{"type":"done","checked","intact","broken"}` (or `{"type":"error","code","message"}` if intake stopped answering).',
  })
  @ApiQuery({ name: 'batch', required: false, description: 'cases per step, 1–200 (default 50)' })
  @ApiQuery({ name: 'accountId', required: false })
  @ApiProduces('application/x-ndjson')
  @ApiResponse({ status: 200, description: 'NDJSON progress, breaks and a summary', content: { 'application/x-ndjson': { schema: { type: 'string' } } } })
  @errorResponses(400, 401, 403)
  async verify(@Query() q: VerifyAuditQuery, @Res() reply: FastifyReply): Promise<void> {
    const bus = this.bus;
    const timeoutMs = Math.max(this.config.SLADESK_RPC_TIMEOUT_MS, 30_000);
    async function* lines(): AsyncGenerator<string> {
      let cursor: string | undefined;
      let checked = 0;
      let broken = 0;
      try {
        do {
          const page = await bus.request(Rpc.CaseVerifyPage, { limit: q.batch ?? 50, ...(cursor ? { cursor } : {}), ...(q.accountId ? { accountId: q.accountId } : {}) }, { timeoutMs });
          for (const r of page.results) {
            checked++;
            if (!r.intact) {
              broken++;
              yield `${JSON.stringify({ type: 'break', ...pick(r) })}\n`;
            }
          }
          yield `${JSON.stringify({ type: 'progress', checked, broken })}\n`;
          cursor = page.nextCursor;
        } while (cursor);
        yield `${JSON.stringify({ type: 'done', checked, intact: checked - broken, broken })}\n`;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        yield `${JSON.stringify({ type: 'error', code: err.code ?? 'INTERNAL', message: err.message ?? 'failed', checked, broken })}\n`;
      }
    }
    await reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(Readable.from(lines()));
  }
}

const pick = (r: CaseChainResult) => ({ caseId: r.caseId, accountId: r.accountId, number: r.number, entries: r.entries, brokenAt: r.brokenAt });

/** Forgetting a person (GDPR Art. 17): intake erases, then tells every service by event. */
@ApiTags('security')
@ApiBearerAuth()
@Controller('v1/contacts/erasures')
export class ErasuresHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: "Erase a contact's personal data: name, email and every free text of their cases (contact.erased tells the other services)",
    description: 'Hash chains still verify: timeline entries keep a salted commitment to the personal data, which lives outside them and is deleted. Entries sealed before that design are listed in `retained`.',
  })
  @ApiBody({ schema: ref('EraseContactRequest') })
  @ApiResponse({ status: 201, description: 'The erasure record (it names no personal data)', schema: erasureSchema })
  @errorResponses(400, 401, 403, 503)
  erase(@Body() body: EraseContactRequest, @Req() req: FastifyRequest): Promise<ErasureView> {
    const by = principalOf(req)?.id;
    return this.bus.request(Rpc.ContactErase, { ...body, ...(by ? { by } : {}) }, { timeoutMs: Math.max(this.config.SLADESK_RPC_TIMEOUT_MS, 60_000) });
  }

  @Get(':id')
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The erasure record', schema: erasureSchema })
  @errorResponses(400, 401, 403, 404, 503)
  get(@Param('id') id: string): Promise<ErasureView> {
    return this.bus.request(Rpc.ErasureGet, { id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}

export const SECURITY_HTTP_CONTROLLERS = [ApiKeysHttpController, AuditHttpController, ErasuresHttpController];
