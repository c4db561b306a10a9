import {
  AckEscalationRequest,
  CorrectIncidentRequest,
  CreateEscalationRequest,
  CreateIncidentRequest,
  EscalationPolicyRequest,
  EscalationPolicyView,
  EscalationView,
  GetEscalationPolicyQuery,
  IncidentView,
  LinkIncidentCasesRequest,
  ListEscalationsQuery,
  ListIncidentsQuery,
  ListNotificationsQuery,
  NotificationView,
  Page,
  RestoreIncidentRequest,
  Rpc,
} from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';

/** Escalation policies, escalations and their acknowledgement, incidents, notifications. */
@ApiTags('escalation')
@ApiBearerAuth()
@Controller('v1')
export class EscalationHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  private get timeout() {
    return { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS };
  }

  @Post('escalation-policies')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the default escalation policy, or an account override (with accountId)' })
  @ApiBody({ schema: ref('EscalationPolicyRequest') })
  @errorResponses(400, 401, 404)
  async putPolicy(@Body() body: EscalationPolicyRequest): Promise<EscalationPolicyView> {
    await this.accountExists(body.accountId);
    return this.bus.request(Rpc.PolicyPut, body, this.timeout);
  }

  @Get('escalation-policies')
  @ApiOperation({ summary: 'The policy in force (for ?accountId=…, with its overrides applied)' })
  @errorResponses(400, 401, 404)
  async getPolicy(@Query() q: GetEscalationPolicyQuery): Promise<EscalationPolicyView> {
    await this.accountExists(q.accountId);
    return this.bus.request(Rpc.PolicyGet, q, this.timeout);
  }

  /**
   * 404 ACCOUNT.NOT_FOUND for an account intake (the record of accounts) does not know, as every
   * account-scoped resource answers; escalation's own copy of the accounts follows events and may lag.
   */
  private async accountExists(accountId: string | undefined): Promise<void> {
    if (accountId) await this.bus.request(Rpc.AccountGet, { id: accountId }, this.timeout);
  }

  @Get('escalations')
  @ApiOperation({ summary: 'Escalations, newest first; filter by caseId, accountId, level, state, reason' })
  @errorResponses(400, 401)
  list(@Query() q: ListEscalationsQuery): Promise<Page<EscalationView>> {
    return this.bus.request(Rpc.EscalationList, q, this.timeout);
  }

  @Post('escalations')
  @HttpCode(201)
  @ApiOperation({ summary: 'Escalate a case manually, with a reason (default: one level up)' })
  @ApiBody({ schema: ref('CreateEscalationRequest') })
  @errorResponses(400, 401, 404)
  create(@Body() body: CreateEscalationRequest): Promise<EscalationView> {
    return this.bus.request(Rpc.EscalationCreate, body, this.timeout);
  }

  @Get('escalations/:id')
  @errorResponses(400, 401, 404)
  get(@Param('id') id: string): Promise<EscalationView> {
    return this.bus.request(Rpc.EscalationGet, { id }, this.timeout);
  }

  @Post('escalations/:id/ack')
  @HttpCode(200)
  @ApiOperation({ summary: 'Acknowledge an escalation (stops its repeats and moving up)' })
  @ApiBody({ schema: ref('AckEscalationRequest') })
  @errorResponses(400, 401, 403, 404, 409)
  ack(@Param('id') id: string, @Body() body: AckEscalationRequest): Promise<EscalationView> {
    return this.bus.request(Rpc.EscalationAck, { ...body, id }, this.timeout);
  }

  @Post('incidents')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Open an incident, optionally linked to cases; with components, impact, impactStart, identifiedAt and cause it counts against their objectives',
    description: 'With restoredAt a past incident is recorded restored in one call. Components must exist (404 COMPONENT.NOT_FOUND).',
  })
  @ApiBody({ schema: ref('CreateIncidentRequest') })
  @errorResponses(400, 401, 404)
  async createIncident(@Body() body: CreateIncidentRequest): Promise<IncidentView> {
    await this.componentsExist(body.components);
    return this.bus.request(Rpc.IncidentCreate, body, this.timeout);
  }

  @Patch('incidents/:id')
  @ApiOperation({
    summary: 'Correct an incident (times, components, impact, cause, …) with a reason; availability recomputes every month the old and new times touch',
  })
  @ApiBody({ schema: ref('CorrectIncidentRequest') })
  @errorResponses(400, 401, 404, 409)
  async correctIncident(@Param('id') id: string, @Body() body: CorrectIncidentRequest): Promise<IncidentView> {
    await this.componentsExist(body.components);
    return this.bus.request(Rpc.IncidentCorrect, { ...body, id }, this.timeout);
  }

  /** 404 COMPONENT.NOT_FOUND for a component the sla service does not know (an incident naming it would count nowhere). */
  private async componentsExist(ids: string[] | undefined): Promise<void> {
    for (const id of ids ?? []) await this.bus.request(Rpc.ComponentGet, { id }, this.timeout);
  }

  @Get('incidents')
  @errorResponses(400, 401)
  listIncidents(@Query() q: ListIncidentsQuery): Promise<Page<IncidentView>> {
    return this.bus.request(Rpc.IncidentList, q, this.timeout);
  }

  @Get('incidents/:id')
  @errorResponses(400, 401, 404)
  getIncident(@Param('id') id: string): Promise<IncidentView> {
    return this.bus.request(Rpc.IncidentGet, { id }, this.timeout);
  }

  @Post('incidents/:id/cases')
  @HttpCode(200)
  @ApiOperation({ summary: 'Link more cases to an incident' })
  @ApiBody({ schema: ref('LinkIncidentCasesRequest') })
  @errorResponses(400, 401, 404, 409)
  link(@Param('id') id: string, @Body() body: LinkIncidentCasesRequest): Promise<IncidentView> {
    return this.bus.request(Rpc.IncidentLinkCases, { ...body, id }, this.timeout);
  }

  @Post('incidents/:id/restore')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark an incident restored' })
  @ApiBody({ schema: ref('RestoreIncidentRequest'), required: false })
  @errorResponses(400, 401, 404, 409)
  restore(@Param('id') id: string, @Body() body: RestoreIncidentRequest): Promise<IncidentView> {
    return this.bus.request(Rpc.IncidentRestore, { ...(body ?? {}), id }, this.timeout);
  }

  @Get('notifications')
  @ApiOperation({ summary: 'Notifications with their delivery state; filter by caseId, escalationId, state' })
  @errorResponses(400, 401)
  notifications(@Query() q: ListNotificationsQuery): Promise<Page<NotificationView>> {
    return this.bus.request(Rpc.NotificationList, q, this.timeout);
  }
}
