import {
  AdvisoryView,
  AnnounceAdvisoryRequest,
  CreateAdvisoryRequest,
  ListAdvisoriesQuery,
  ReleaseAdvisoryRequest,
  Rpc,
  RpcMap,
  RpcSubject,
  TestAdvisoryRequest,
  ValidateAdvisoryRequest,
} from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { applyDecorators, Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { GatewayEnv } from '../config';
import { errorResponses, ref } from '../http/openapi';
import { advisorySchema, pageSchema } from './maintenance.openapi';

const Step = (summary: string, body: string, description: string) =>
  applyDecorators(
    HttpCode(200),
    ApiOperation({ summary, description }),
    ApiParam({ name: 'id' }),
    ApiBody({ schema: ref(body) }),
    ApiResponse({ status: 200, description: 'The advisory with its evidence', schema: advisorySchema }),
    errorResponses(400, 401, 404, 409, 503),
  );

/** The advisory pipeline: draft → applied on the test version → validated → released, with evidence at each stage. */
@ApiTags('maintenance')
@ApiBearerAuth()
@Controller('v1/advisories')
export class AdvisoriesHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  private send<S extends RpcSubject>(subject: S, body: RpcMap[S]['request']): Promise<RpcMap[S]['response']> {
    return this.bus.request(subject, body, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Open an advisory (security patch, update, upgrade, release, documentation) in draft',
    description: 'A security patch is announced to the affected customers at once, with its workaround, unless announce=false; other kinds are told at release.',
  })
  @ApiBody({ schema: ref('CreateAdvisoryRequest') })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first result' })
  @ApiResponse({ status: 201, description: 'The advisory', schema: advisorySchema })
  @errorResponses(400, 401, 422, 503)
  create(@Body() body: CreateAdvisoryRequest, @Headers('idempotency-key') idempotencyKey?: string): Promise<AdvisoryView> {
    return this.send(Rpc.AdvisoryCreate, { ...body, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  @Get()
  @ApiOperation({ summary: 'Advisories, newest first, with cursor pagination' })
  @ApiQuery({ name: 'kind', required: false })
  @ApiQuery({ name: 'stage', required: false })
  @ApiQuery({ name: 'component', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiResponse({ status: 200, description: 'A page of advisories', schema: pageSchema(advisorySchema) })
  @errorResponses(400, 401, 503)
  list(@Query() q: ListAdvisoriesQuery): Promise<{ items: AdvisoryView[]; nextCursor?: string }> {
    return this.send(Rpc.AdvisoryList, q);
  }

  @Get(':id')
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'The advisory with its evidence', schema: advisorySchema })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') id: string): Promise<AdvisoryView> {
    return this.send(Rpc.AdvisoryGet, { id });
  }

  @Post(':id/test')
  @Step('Record that the patch (or workaround) was applied on a test version', 'TestAdvisoryRequest', 'From draft (or applied, with a new build). 409 ADVISORY.ALREADY_VALIDATED / ADVISORY.ALREADY_RELEASED otherwise.')
  test(@Param('id') id: string, @Body() body: TestAdvisoryRequest): Promise<AdvisoryView> {
    return this.send(Rpc.AdvisoryTest, { ...body, id });
  }

  @Post(':id/validate')
  @Step('Record the validation on the test version (result=failed sends it back to draft)', 'ValidateAdvisoryRequest', 'Only once applied: 409 ADVISORY.NOT_TESTED before.')
  validate(@Param('id') id: string, @Body() body: ValidateAdvisoryRequest): Promise<AdvisoryView> {
    return this.send(Rpc.AdvisoryValidate, { ...body, id });
  }

  @Post(':id/release')
  @Step('Release it to customers (notifies the affected accounts)', 'ReleaseAdvisoryRequest', 'Only once validated: 409 ADVISORY.NOT_VALIDATED before.')
  release(@Param('id') id: string, @Body() body: ReleaseAdvisoryRequest): Promise<AdvisoryView> {
    return this.send(Rpc.AdvisoryRelease, { ...body, id });
  }

  @Post(':id/announce')
  @Step('Announce it to the affected customers now (before release)', 'AnnounceAdvisoryRequest', '409 ADVISORY.ALREADY_ANNOUNCED when it was, ADVISORY.ALREADY_RELEASED after release.')
  announce(@Param('id') id: string, @Body() body: AnnounceAdvisoryRequest): Promise<AdvisoryView> {
    return this.send(Rpc.AdvisoryAnnounce, { ...body, id });
  }
}
