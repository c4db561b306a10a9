import { CalendarView, CreateCalendarRequest, ListCalendarsQuery, SlaRpc, UpdateCalendarRequest } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';

@ApiTags('calendars')
@ApiBearerAuth()
@Controller('v1/calendars')
export class CalendarsHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a business-hours calendar (weekly windows across time zones, holidays, exceptions)' })
  @ApiBody({ schema: ref('CreateCalendarRequest') })
  @ApiResponse({ status: 201, description: 'The calendar, version 1' })
  @errorResponses(400, 401, 409, 503)
  create(@Body() body: CreateCalendarRequest): Promise<CalendarView> {
    return this.bus.request(SlaRpc.CalendarCreate, body, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get()
  @ApiOperation({ summary: 'List calendars' })
  @ApiQuery({ name: 'name', required: false, description: 'Only names containing this text' })
  @ApiResponse({ status: 200, description: 'Every calendar with whether it is open now' })
  @errorResponses(400, 401, 503)
  list(@Query() query: ListCalendarsQuery): Promise<CalendarView[]> {
    return this.bus.request(SlaRpc.CalendarList, query, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Get(':id')
  @ApiOperation({ summary: 'A calendar' })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The calendar' })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<CalendarView> {
    return this.bus.request(SlaRpc.CalendarGet, { id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a calendar with a new version; open cases whose policy uses it are re-timed' })
  @ApiParam({ name: 'id' })
  @ApiBody({ schema: ref('UpdateCalendarRequest') })
  @ApiResponse({ status: 200, description: 'The calendar at its new version' })
  @errorResponses(400, 401, 404, 409, 503)
  update(@Param('id') id: string, @Body() body: UpdateCalendarRequest): Promise<CalendarView> {
    return this.bus.request(SlaRpc.CalendarUpdate, { ...body, id }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}
