import { CaseSlaView, SlaRpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { GatewayEnv } from '../config';
import { errorResponses } from '../http/openapi';

@ApiTags('cases')
@ApiBearerAuth()
@Controller('v1/cases')
export class CaseSlaHttpController {
  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  @Get(':id/sla')
  @ApiOperation({ summary: "The case's SLA clocks: state, goal and the clause that set it, due, elapsed and remaining business time, pauses, breach" })
  @ApiParam({ name: 'id' })
  @ApiResponse({ status: 200, description: 'Every clock of the case' })
  @errorResponses(400, 401, 404, 503)
  get(@Param('id') caseId: string): Promise<CaseSlaView> {
    return this.bus.request(SlaRpc.CaseSlaGet, { caseId }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }
}
