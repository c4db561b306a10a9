import { CaseView, CreateCaseRequest, ListCasesQuery, Page, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ref, errorResponses } from '../http/openapi';
import { GatewayEnv } from '../config';

@ApiTags('cases')
@ApiBearerAuth()
@Controller('v1/cases')
export class CasesHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Record an inquiry as a case' })
  @ApiBody({ schema: ref('CreateCaseRequest') })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiResponse({ status: 201, description: 'The case', schema: ref('CaseView') })
  @errorResponses(400, 401, 413, 422, 503)
  create(@Body() body: CreateCaseRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseView> {
    return this.bus.request(
      Rpc.CaseCreate,
      { ...body, ...(idempotencyKey ? { idempotencyKey } : {}) },
      { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS },
    );
  }

  @Get()
  @ApiOperation({ summary: 'List cases, newest first, with cursor pagination' })
  @ApiQuery({ name: 'accountId', required: false })
  @ApiQuery({ name: 'status', required: false })
  @ApiQuery({ name: 'severity', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({ status: 200, description: 'A page of cases' })
  @errorResponses(400, 401, 503)
  list(@Query() query: ListCasesQuery): Promise<Page<CaseView>> {
    return this.bus.request(Rpc.CaseList, query, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get(':id')
  @ApiOperation({ summary: 'The case record' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The case', schema: ref('CaseView') })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<CaseView> {
    return this.bus.request(Rpc.CaseGet, { id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}
