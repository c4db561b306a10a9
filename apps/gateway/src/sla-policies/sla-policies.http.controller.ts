import { CreateSlaPolicyRequest, ListSlaPoliciesQuery, SlaPolicyView, SlaRpc, UpdateSlaPolicyRequest } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';

@ApiTags('sla-policies')
@ApiBearerAuth()
@Controller('v1/sla-policies')
export class SlaPoliciesHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: "An account's own SLA policy (calendar and goals); goals left out come from the default contract" })
  @ApiBody({ schema: ref('CreateSlaPolicyRequest') })
  @ApiResponse({ status: 201, description: 'The policy, version 1' })
  @errorResponses(400, 401, 404, 409, 503)
  create(@Body() body: CreateSlaPolicyRequest): Promise<SlaPolicyView> {
    return this.bus.request(SlaRpc.SlaPolicyCreate, body, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get()
  @ApiOperation({ summary: 'List SLA policies (the default first)' })
  @ApiQuery({ name: 'accountId', required: false })
  @ApiResponse({ status: 200, description: 'Policies' })
  @errorResponses(400, 401, 503)
  list(@Query() query: ListSlaPoliciesQuery): Promise<SlaPolicyView[]> {
    return this.bus.request(SlaRpc.SlaPolicyList, query, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get(':id')
  @ApiOperation({ summary: 'An SLA policy (`default` is the contract every account without its own uses)' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The policy' })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<SlaPolicyView> {
    return this.bus.request(SlaRpc.SlaPolicyGet, { id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a policy with a new version; its open cases are re-timed from their history (pauses kept)' })
  @ApiParam({ name: 'id' })
  @ApiBody({ schema: ref('UpdateSlaPolicyRequest') })
  @ApiResponse({ status: 200, description: 'The policy at its new version' })
  @errorResponses(400, 401, 404, 409, 503)
  update(@Param('id') id: string, @Body() body: UpdateSlaPolicyRequest): Promise<SlaPolicyView> {
    return this.bus.request(SlaRpc.SlaPolicyUpdate, { ...body, id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}
