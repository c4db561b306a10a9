import { AdvisoryIdQuery, AdvisoryView, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AdvisoryRepository } from '../advisory.repository';
import { toAdvisoryView } from '../advisory.schema';

@Controller()
export class GetAdvisoryMessageController {
  constructor(private readonly advisories: AdvisoryRepository) {}

  @MessagePattern(Rpc.AdvisoryGet)
  async get(@Payload() q: AdvisoryIdQuery): Promise<AdvisoryView> {
    return toAdvisoryView(await this.advisories.get(q.id));
  }
}
