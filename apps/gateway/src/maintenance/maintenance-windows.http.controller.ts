import {
  CalendarFeedRequest,
  CancelWindowRequest,
  CompleteWindowRequest,
  CreatedWindowView,
  CreateWindowRequest,
  ListWindowsQuery,
  RescheduleWindowRequest,
  Rpc,
  RpcMap,
  RpcSubject,
  StartWindowRequest,
  WindowView,
} from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GatewayEnv } from '../config';
import { ApiKeys, Public } from '../http/auth.guard';
import { errorResponses, ref } from '../http/openapi';
import { pageSchema, windowSchema } from './maintenance.openapi';

/** Maintenance windows: schedule (one-off or recurring), list, and the lifecycle transitions; the calendar feed. */
@ApiTags('maintenance')
@ApiBearerAuth()
@Controller('v1')
export class MaintenanceWindowsHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
    private readonly keys: ApiKeys,
  ) {}

  private send<S extends RpcSubject>(subject: S, body: RpcMap[S]['request']): Promise<RpcMap[S]['response']> {
    return this.bus.request(subject, body, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Post('maintenance-windows')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Schedule a maintenance window (or, with recurrence, every occurrence of a recurring one)',
    description:
      'Customers are notified (all accounts, or with audience=subscribers only those subscribed to an affected component), then reminded at reminderOffsets before the start (default PT72H, PT24H, PT1H). With `recurrence` every occurrence is its own window; the answer is the first one with `occurrences`.',
  })
  @ApiBody({ schema: ref('CreateWindowRequest') })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiResponse({ status: 201, description: 'The window', schema: windowSchema })
  @errorResponses(400, 401, 422, 503)
  create(@Body() body: CreateWindowRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CreatedWindowView> {
    return this.send(Rpc.WindowCreate, { ...body, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Get('maintenance-windows')
  @ApiOperation({ summary: 'Windows in order of planned start, with cursor pagination' })
  @ApiQuery({ name: 'state', required: false, enum: ['scheduled', 'in_progress', 'completed', 'cancelled'] })
  @ApiQuery({ name: 'component', required: false })
  @ApiQuery({ name: 'seriesId', required: false, description: 'The occurrences of one recurring window' })
  @ApiQuery({ name: 'from', required: false, description: 'planned to end at or after (ISO-8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'planned to start before (ISO-8601)' })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, description: 'A page of windows', schema: pageSchema(windowSchema) })
  @errorResponses(400, 401, 503)
  list(@Query() q: ListWindowsQuery): Promise<{ items: WindowView[]; nextCursor?: string }> {
    return this.send(Rpc.WindowList, q);
  }

  @Get('maintenance-windows.ics')
  @Public()
  @ApiOperation({
    summary: 'iCalendar feed of maintenance windows (text/calendar)',
    description: 'With an API key: every window, or those of ?accountId=. Without one (calendar apps): ?accountId=&token= from the account’s notice preferences (calendarUrl).',
  })
  @ApiProduces('text/calendar')
  @ApiQuery({ name: 'accountId', required: false })
  @ApiQuery({ name: 'token', required: false })
  @ApiResponse({ status: 200, description: 'RFC 5545 calendar', content: { 'text/calendar': { schema: { type: 'string' } } } })
  @errorResponses(400, 403, 503)
  async calendar(@Query() q: CalendarFeedRequest, @Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const key = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const staff = key !== undefined && this.keys.accepts(key);
    const feed = await this.send(Rpc.WindowCalendar, { ...q, ...(staff ? { staff: true } : {}) });
    await reply
      .header('content-type', 'text/calendar; charset=utf-8')
      .header('content-disposition', 'inline; filename="maintenance.ics"')
      .send(feed.ics);
  }

  @Get('maintenance-windows/:id')
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The window with its reminders and history', schema: windowSchema })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<WindowView> {
    return this.send(Rpc.WindowGet, { id });
  }

  @Post('maintenance-windows/:id/start')
  @HttpCode(200)
  @ApiOperation({ summary: 'The work begins (actual start, default now); customers are told' })
  @ApiBody({ schema: ref('StartWindowRequest'), required: false })
  @ApiResponse({ status: 200, description: 'The window', schema: windowSchema })
  @errorResponses(400, 401, 404, 409, 503)
  start(@Param('id') id: string, @Body() body: StartWindowRequest): Promise<WindowView> {
    return this.send(Rpc.WindowStart, { ...body, id });
  }

  @Post('maintenance-windows/:id/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'The work is over (actual end, default now); publishes maintenance.completed with the actual start and end' })
  @ApiBody({ schema: ref('CompleteWindowRequest'), required: false })
  @ApiResponse({ status: 200, description: 'The window', schema: windowSchema })
  @errorResponses(400, 401, 404, 409, 503)
  complete(@Param('id') id: string, @Body() body: CompleteWindowRequest): Promise<WindowView> {
    return this.send(Rpc.WindowComplete, { ...body, id });
  }

  @Post('maintenance-windows/:id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel before it starts: customers are told, no further reminders' })
  @ApiBody({ schema: ref('CancelWindowRequest'), required: false })
  @ApiResponse({ status: 200, description: 'The window', schema: windowSchema })
  @errorResponses(400, 401, 404, 409, 503)
  cancel(@Param('id') id: string, @Body() body: CancelWindowRequest): Promise<WindowView> {
    return this.send(Rpc.WindowCancel, { ...body, id });
  }

  @Post('maintenance-windows/:id/reschedule')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move it: reminders move too, and customers are told the old and the new times' })
  @ApiBody({ schema: ref('RescheduleWindowRequest') })
  @ApiResponse({ status: 200, description: 'The window', schema: windowSchema })
  @errorResponses(400, 401, 404, 409, 503)
  reschedule(@Param('id') id: string, @Body() body: RescheduleWindowRequest): Promise<WindowView> {
    return this.send(Rpc.WindowReschedule, { ...body, id });
  }
}
