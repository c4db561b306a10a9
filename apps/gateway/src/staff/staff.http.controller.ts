import { CreateStaffRequest, ListQuery, Page, Rpc, StaffView, UpdateStaffRequest } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { pageOf } from '../cases/case.openapi';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';

@ApiTags('staff')
@ApiBearerAuth()
@Controller('v1/staff')
export class StaffHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a staff member with their roles (csm, tier2, executive, manager, admin)' })
  @ApiBody({ schema: ref('CreateStaffRequest') })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiResponse({ status: 201, description: 'The staff member', schema: ref('StaffPayload') })
  @errorResponses(400, 401, 409, 422, 503)
  create(@Body() body: CreateStaffRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<StaffView> {
    return this.bus.request(Rpc.StaffCreate, { ...body, ...(idempotencyKey ? { idempotencyKey } : {}) }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get()
  @ApiOperation({ summary: 'List staff in id order, with cursor pagination' })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({ status: 200, description: 'A page of staff members', schema: pageOf(ref('StaffPayload')) })
  @errorResponses(400, 401, 503)
  list(@Query() query: ListQuery): Promise<Page<StaffView>> {
    return this.bus.request(Rpc.StaffList, query, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One staff member' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The staff member', schema: ref('StaffPayload') })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<StaffView> {
    return this.bus.request(Rpc.StaffGet, { id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a staff member (name, email, roles, Intercom admin id, active)' })
  @ApiParam({ name: 'id' })
  @ApiBody({ schema: ref('UpdateStaffRequest') })
  @ApiResponse({ status: 200, description: 'The staff member after the change', schema: ref('StaffPayload') })
  @errorResponses(400, 401, 404, 409, 503)
  update(@Param('id') id: string, @Body() body: UpdateStaffRequest): Promise<StaffView> {
    return this.bus.request(Rpc.StaffUpdate, { ...body, id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}
