import { AccountView, CreateAccountRequest, ListQuery, Page, Rpc, UpdateAccountRequest } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { pageOf } from '../cases/case.openapi';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';

@ApiTags('accounts')
@ApiBearerAuth()
@Controller('v1/accounts')
export class AccountsHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a customer account: time zone, dedicated CSM, support contacts, email domains' })
  @ApiBody({ schema: ref('CreateAccountRequest') })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiResponse({ status: 201, description: 'The account', schema: ref('AccountPayload') })
  @errorResponses(400, 401, 404, 409, 422, 503)
  create(@Body() body: CreateAccountRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<AccountView> {
    return this.bus.request(Rpc.AccountCreate, { ...body, ...(idempotencyKey ? { idempotencyKey } : {}) }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get()
  @ApiOperation({ summary: 'List accounts in id order, with cursor pagination' })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({ status: 200, description: 'A page of accounts', schema: pageOf(ref('AccountPayload')) })
  @errorResponses(400, 401, 503)
  list(@Query() query: ListQuery): Promise<Page<AccountView>> {
    return this.bus.request(Rpc.AccountList, query, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One account' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The account', schema: ref('AccountPayload') })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<AccountView> {
    return this.bus.request(Rpc.AccountGet, { id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an account; given arrays replace the stored ones, csmId null removes the CSM' })
  @ApiParam({ name: 'id' })
  @ApiBody({ schema: ref('UpdateAccountRequest') })
  @ApiResponse({ status: 200, description: 'The account after the change', schema: ref('AccountPayload') })
  @errorResponses(400, 401, 404, 409, 422, 503)
  update(@Param('id') id: string, @Body() body: UpdateAccountRequest): Promise<AccountView> {
    return this.bus.request(Rpc.AccountUpdate, { ...body, id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}
