import { AcceptReviewItemRequest, CaseView, ListReviewQueueQuery, Page, ReviewItemView, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { caseViewSchema } from '../cases/case.openapi';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';

/** Inbound mail and Intercom conversations that no account could be found for. */
@ApiTags('channels')
@ApiBearerAuth()
@Controller('v1/channels/review-queue')
export class ReviewQueueHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Messages waiting for a person to attribute them to an account (unknown senders), newest first' })
  @ApiQuery({ name: 'channel', required: false })
  @ApiQuery({ name: 'status', required: false, description: 'pending, accepted or dismissed' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, description: 'A page of review items' })
  @errorResponses(400, 401, 503)
  list(@Query() query: ListReviewQueueQuery): Promise<Page<ReviewItemView>> {
    return this.bus.request(Rpc.ReviewQueueList, query, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Post(':id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Open a case from the message for the given account (repeatable: answers the same case)' })
  @ApiParam({ name: 'id' })
  @ApiBody({ schema: ref('AcceptReviewItemRequest') })
  @ApiResponse({ status: 200, description: 'The case', schema: caseViewSchema })
  @errorResponses(400, 401, 404, 409, 503)
  accept(@Param('id') id: string, @Body() body: AcceptReviewItemRequest): Promise<CaseView> {
    return this.bus.request(Rpc.ReviewQueueAccept, { ...body, id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark the message as not a case (it is kept)' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The review item' })
  @errorResponses(400, 401, 404, 409, 503)
  dismiss(@Param('id') id: string): Promise<ReviewItemView> {
    return this.bus.request(Rpc.ReviewQueueDismiss, { id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}
