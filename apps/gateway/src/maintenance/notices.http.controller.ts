import {
  ListNoticesQuery,
  NoticeDeliveryView,
  NoticePreferencesView,
  NoticeView,
  OptOutResult,
  PutNoticePreferencesRequest,
  Rpc,
  RpcMap,
  RpcSubject,
} from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GatewayEnv } from '../config';
import { Public } from '../http/auth.guard';
import { errorResponses, ref } from '../http/openapi';
import { deliverySchema, noticeSchema, pageSchema, preferencesSchema } from './maintenance.openapi';

const page = (q: { limit?: unknown; cursor?: unknown }) => ({
  ...(q.limit !== undefined ? { limit: Number(q.limit) } : {}),
  ...(typeof q.cursor === 'string' ? { cursor: q.cursor } : {}),
});

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Who is told (an account's notice preferences), the signed opt-out link, and the notices log. */
@ApiTags('maintenance')
@ApiBearerAuth()
@Controller('v1')
export class NoticesHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  private send<S extends RpcSubject>(subject: S, body: RpcMap[S]['request']): Promise<RpcMap[S]['response']> {
    return this.bus.request(subject, body, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Put('accounts/:id/notice-preferences')
  @ApiOperation({
    summary: 'Set an account’s notice preferences: component subscriptions and notification contacts',
    description: 'subscriptions: the components whose notices the account receives (null: all). contacts: extra notification contacts and flags (security: always receives security notices; intercomUserId: also told by Intercom message). Absent fields keep their value.',
  })
  @ApiParam({ name: 'id' })
  @ApiBody({ schema: ref('PutNoticePreferencesRequest') })
  @ApiResponse({ status: 200, description: 'The effective preferences', schema: preferencesSchema })
  @errorResponses(400, 401, 503)
  putPreferences(@Param('id') accountId: string, @Body() body: PutNoticePreferencesRequest): Promise<NoticePreferencesView> {
    return this.send(Rpc.NoticePreferencesPut, { ...body, accountId });
  }

  @Get('accounts/:id/notice-preferences')
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The effective preferences, with the signed calendar URL', schema: preferencesSchema })
  @errorResponses(400, 401, 503)
  getPreferences(@Param('id') accountId: string): Promise<NoticePreferencesView> {
    return this.send(Rpc.NoticePreferencesGet, { accountId });
  }

  @Get('notice-opt-out')
  @Public()
  @ApiOperation({ summary: 'The signed link in every non-security notice: the contact receives no more non-security notices' })
  @ApiQuery({ name: 'token', required: true })
  @ApiResponse({ status: 200, description: 'A short HTML confirmation', content: { 'text/html': { schema: { type: 'string' } } } })
  @errorResponses(400, 403, 503)
  async optOutPage(@Query('token') token: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const r = await this.send(Rpc.NoticeOptOut, { token: token ?? '' });
    await reply
      .header('content-type', 'text/html; charset=utf-8')
      .send(`<!doctype html><title>Unsubscribed</title><p>${escapeHtml(r.email)} will no longer receive maintenance and update notices. Security notices still reach every notification contact.</p>`);
  }

  @Post('notice-opt-out')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'One-click opt-out (RFC 8058 List-Unsubscribe-Post)' })
  @ApiQuery({ name: 'token', required: true })
  @errorResponses(400, 403, 503)
  optOut(@Query('token') token: string | undefined): Promise<OptOutResult> {
    return this.send(Rpc.NoticeOptOut, { token: token ?? '' });
  }

  @Get('notices')
  @ApiOperation({ summary: 'Notices (what customers were told), filtered by window or advisory' })
  @ApiQuery({ name: 'windowId', required: false })
  @ApiQuery({ name: 'advisoryId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, description: 'A page of notices', schema: pageSchema(noticeSchema) })
  @errorResponses(400, 401, 503)
  list(@Query() q: ListNoticesQuery): Promise<{ items: NoticeView[]; nextCursor?: string }> {
    return this.send(Rpc.NoticeList, q);
  }

  @Get('notices/:id')
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The notice and its fan-out progress', schema: noticeSchema })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<NoticeView> {
    return this.send(Rpc.NoticeGet, { id });
  }

  @Get('notices/:id/deliveries')
  @ApiOperation({ summary: 'Every delivery of a notice: to whom, which channel, when, outcome' })
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, description: 'A page of deliveries', schema: pageSchema(deliverySchema) })
  @errorResponses(400, 401, 503)
  deliveries(@Param('id') id: string, @Query() q: Record<string, unknown>): Promise<{ items: NoticeDeliveryView[]; nextCursor?: string }> {
    return this.send(Rpc.NoticeDeliveries, { id, ...page(q) });
  }
}
