import {
  AvailabilityQuery,
  AvailabilityReportView,
  ComponentView,
  CreateComponentRequest,
  ExclusionView,
  ListComponentsQuery,
  ProbeResultsQuery,
  ProbeResultView,
  PutExclusionRequest,
  Rpc,
  RpcMap,
  RpcSubject,
  UpdateComponentRequest,
} from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';

/** Components and their objectives, exclusions, and the monthly availability report (the sla service's availability module). */
@ApiTags('availability')
@ApiBearerAuth()
@Controller('v1')
export class AvailabilityHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  private send<S extends RpcSubject>(subject: S, body: RpcMap[S]['request']): Promise<RpcMap[S]['response']> {
    return this.bus.request(subject, body, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Post('components')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a component with its objectives (availability % per month, or restoration within a maximum), exclusions, credit table, accounts and probes',
  })
  @ApiBody({ schema: ref('CreateComponentRequest') })
  @errorResponses(400, 401, 409)
  create(@Body() body: CreateComponentRequest): Promise<ComponentView> {
    return this.send(Rpc.ComponentCreate, body);
  }

  @Get('components')
  @ApiOperation({ summary: 'Components by id, with cursor pagination' })
  @errorResponses(400, 401)
  list(@Query() q: ListComponentsQuery): Promise<{ items: ComponentView[]; nextCursor?: string }> {
    return this.send(Rpc.ComponentList, q);
  }

  @Get('components/:id')
  @ApiOperation({ summary: 'A component, its probes with their state, and the error budget left now (this month, in each objective\'s zone)' })
  @errorResponses(400, 401, 404)
  get(@Param('id') id: string): Promise<ComponentView> {
    return this.send(Rpc.ComponentGet, { id });
  }

  @Put('components/:id')
  @ApiOperation({ summary: 'Replace a component\'s name, objectives, accounts and probes (a new version)' })
  @ApiBody({ schema: ref('UpdateComponentRequest') })
  @errorResponses(400, 401, 404, 409)
  update(@Param('id') id: string, @Body() body: UpdateComponentRequest): Promise<ComponentView> {
    return this.send(Rpc.ComponentUpdate, { ...body, id });
  }

  @Get('components/:id/probe-results')
  @ApiOperation({ summary: 'The evidence: every probe result of the component between from and to (at most 48 hours)' })
  @errorResponses(400, 401, 404)
  probeResults(@Param('id') id: string, @Query() q: ProbeResultsQuery): Promise<{ items: ProbeResultView[] }> {
    return this.send(Rpc.ProbeResults, { ...q, id });
  }

  @Post('exclusions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Record time that does not count (e.g. kind resize_migration) for the objectives that exclude its kind; the same id again corrects it',
    description: 'Completed maintenance windows are excluded by themselves (kind scheduled_maintenance), from the maintenance service.',
  })
  @ApiBody({ schema: ref('PutExclusionRequest') })
  @errorResponses(400, 401)
  putExclusion(@Body() body: PutExclusionRequest): Promise<ExclusionView> {
    return this.send(Rpc.ExclusionPut, body);
  }

  @Get('exclusions/:id')
  @errorResponses(400, 401, 404)
  getExclusion(@Param('id') id: string): Promise<ExclusionView> {
    return this.send(Rpc.ExclusionGet, { id });
  }

  @Get('availability')
  @ApiOperation({
    summary: 'A month\'s availability: per component and objective the period, excluded time, downtime, availability, budget, met or missed, late restorations and the credit; per account the credits of the components it uses',
  })
  @ApiQuery({ name: 'month', required: true, description: 'YYYY-MM (each objective\'s month in its own time zone)' })
  @ApiQuery({ name: 'componentId', required: false, description: 'One component, with every incident counted' })
  @ApiQuery({ name: 'accountId', required: false, description: 'Only the components this account uses, and its credits' })
  @ApiQuery({ name: 'include', required: false, enum: ['incidents'], description: 'List every incident of every component' })
  @errorResponses(400, 401, 404)
  availability(@Query() q: AvailabilityQuery): Promise<AvailabilityReportView> {
    return this.send(Rpc.AvailabilityGet, q);
  }
}
