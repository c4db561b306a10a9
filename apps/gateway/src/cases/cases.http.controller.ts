import {
  AddCaseActionRequest,
  AssignCaseRequest,
  CaseChange,
  CaseRecord,
  CaseSummary,
  CaseTimeline,
  CaseView,
  ChangeCaseStatusRequest,
  CreateCaseRequest,
  ListCasesQuery,
  Page,
  ReclassifyCaseRequest,
  RecordCustomerReplyRequest,
  ReopenCaseRequest,
  ResolveCaseRequest,
  RespondToCaseRequest,
  Rpc,
  RpcMap,
  RpcSubject,
  TimelineQuery,
} from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { applyDecorators, Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';
import { caseChangeSchema, caseRecordSchema, caseViewSchema, pageOf, timelineSchema } from './case.openapi';

const IDEMPOTENCY = ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result and changes nothing' });

/** Documents a POST that appends to the case's timeline. */
const CaseStep = (summary: string, body: string, status: 200 | 201) =>
  applyDecorators(
    HttpCode(status),
    ApiOperation({ summary }),
    ApiParam({ name: 'id' }),
    ApiBody({ schema: ref(body) }),
    IDEMPOTENCY,
    ApiResponse({ status, description: 'The case after the change and the timeline entry that records it', schema: caseChangeSchema }),
    errorResponses(400, 401, 404, 409, 413, 422, 503),
  );

@ApiTags('cases')
@ApiBearerAuth()
@Controller('v1/cases')
export class CasesHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  private send<S extends RpcSubject>(subject: S, body: RpcMap[S]['request']): Promise<RpcMap[S]['response']> {
    return this.bus.request(subject, body, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Record an inquiry as a case (severity and category are derived from the text when not given)' })
  @ApiBody({ schema: ref('CreateCaseRequest') })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiResponse({ status: 201, description: 'The case', schema: caseViewSchema })
  @errorResponses(400, 401, 404, 413, 422, 503)
  create(@Body() body: CreateCaseRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseView> {
    return this.send(Rpc.CaseCreate, { ...body, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Get()
  @ApiOperation({ summary: 'List cases, newest first, with cursor pagination' })
  @ApiQuery({ name: 'accountId', required: false })
  @ApiQuery({ name: 'status', required: false })
  @ApiQuery({ name: 'severity', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'received at or after (ISO-8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'received before (ISO-8601)' })
  @ApiQuery({ name: 'breached', required: false, description: 'true: only cases whose SLA was breached; false: only the others' })
  @ApiQuery({ name: 'limit', required: false, description: '1–200, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({ status: 200, description: 'A page of cases', schema: pageOf(caseViewSchema) })
  @errorResponses(400, 401, 503)
  list(@Query() query: ListCasesQuery): Promise<Page<CaseSummary>> {
    return this.send(Rpc.CaseList, query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'The case record: contact, times of receipt, first response and resolution, description, analysis, and its latest steps',
    description: '`timeline` holds the latest entries that fit one answer; when it is not the whole timeline, `timelineCursor` reads every step from the first on through `GET /v1/cases/{id}/timeline?cursor=`.',
  })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The case with its latest timeline entries', schema: caseRecordSchema })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<CaseRecord> {
    return this.send(Rpc.CaseGet, { id });
  }

  @Get(':id/timeline')
  @ApiOperation({ summary: 'The hash-chained timeline, oldest first, a page at a time; verify=true recomputes the whole chain and says where it breaks' })
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'verify', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1–200 entries, default 100; a page also stops at about 512 KB' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page, or timelineCursor of the case record' })
  @ApiResponse({ status: 200, description: 'The timeline', schema: timelineSchema })
  @errorResponses(400, 401, 404, 503)
  timeline(@Param('id') id: string, @Query() query: TimelineQuery): Promise<CaseTimeline> {
    return this.send(Rpc.CaseTimeline, { id, ...query });
  }

  @Post(':id/responses')
  @CaseStep('Record our response to the customer (sent by mail or to Intercom when the case came from there)', 'RespondToCaseRequest', 201)
  respond(@Param('id') caseId: string, @Body() body: RespondToCaseRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseChange> {
    return this.send(Rpc.CaseRespond, { ...body, caseId, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Post(':id/customer-replies')
  @CaseStep('Record a message from the customer received elsewhere (e.g. by phone)', 'RecordCustomerReplyRequest', 201)
  customerReply(@Param('id') caseId: string, @Body() body: RecordCustomerReplyRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseChange> {
    return this.send(Rpc.CaseCustomerReply, { ...body, caseId, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Post(':id/actions')
  @CaseStep('Record internal work: a note, a step, the analysis, an escalation', 'AddCaseActionRequest', 201)
  addAction(@Param('id') caseId: string, @Body() body: AddCaseActionRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseChange> {
    return this.send(Rpc.CaseAddAction, { ...body, caseId, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Post(':id/status')
  @CaseStep('Change the status (waiting_on_customer pauses the SLA clock; closed after resolved)', 'ChangeCaseStatusRequest', 200)
  changeStatus(@Param('id') caseId: string, @Body() body: ChangeCaseStatusRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseChange> {
    return this.send(Rpc.CaseChangeStatus, { ...body, caseId, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Post(':id/resolve')
  @CaseStep('Resolve the case with a summary', 'ResolveCaseRequest', 200)
  resolve(@Param('id') caseId: string, @Body() body: ResolveCaseRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseChange> {
    return this.send(Rpc.CaseResolve, { ...body, caseId, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Post(':id/reopen')
  @CaseStep('Reopen a resolved or closed case', 'ReopenCaseRequest', 200)
  reopen(@Param('id') caseId: string, @Body() body: ReopenCaseRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseChange> {
    return this.send(Rpc.CaseReopen, { ...body, caseId, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Post(':id/reclassify')
  @CaseStep('Change severity and/or category, with a reason', 'ReclassifyCaseRequest', 200)
  reclassify(@Param('id') caseId: string, @Body() body: ReclassifyCaseRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseChange> {
    return this.send(Rpc.CaseReclassify, { ...body, caseId, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Post(':id/assign')
  @CaseStep('Assign the case to a staff member (assigneeId null unassigns)', 'AssignCaseRequest', 200)
  assign(@Param('id') caseId: string, @Body() body: AssignCaseRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<CaseChange> {
    return this.send(Rpc.CaseAssign, { ...body, caseId, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }
}
