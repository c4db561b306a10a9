import { AppError, IntercomWebhookResult, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Controller, Headers, HttpCode, OnModuleInit, Post, Req } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { GatewayEnv } from '../config';
import { Public } from '../http/auth.guard';
import { errorResponses } from '../http/openapi';
import { keepRawBody, WithRawBody } from './raw-body';

const WEBHOOK = '/v1/channels/intercom/webhook';

/** Intercom notifications; no API key, the `X-Hub-Signature` over the raw body is checked by intake. */
@ApiTags('channels')
@Public()
@Controller('v1/channels/intercom')
export class IntercomWebhookHttpController implements OnModuleInit {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
    private readonly adapter: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    keepRawBody(this.adapter.httpAdapter.getInstance<FastifyInstance>(), WEBHOOK, this.config.SLADESK_BODY_LIMIT);
  }

  @Post('webhook')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Intercom webhook: conversation.user.created opens a case, user.replied and admin.replied record replies, admin.closed resolves',
  })
  @ApiHeader({ name: 'X-Hub-Signature', required: true, description: 'sha1=<hex HMAC-SHA1 of the raw body with the app client secret>' })
  @ApiResponse({ status: 200, description: 'Applied, a duplicate, ignored, or queued for review' })
  @errorResponses(400, 401, 413, 503)
  receive(@Req() req: WithRawBody, @Headers('x-hub-signature') signature?: string): Promise<IntercomWebhookResult> {
    if (!req.rawBody) throw new AppError('REQUEST.MALFORMED', 'Send the notification as the request body');
    return this.bus.request(
      Rpc.IntercomWebhook,
      { rawBody: req.rawBody.toString('utf8'), ...(signature ? { signature } : {}) },
      { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS },
    );
  }
}
