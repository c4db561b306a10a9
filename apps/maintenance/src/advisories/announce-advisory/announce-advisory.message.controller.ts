import { AdvisoryView, AnnounceAdvisoryCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AdvisorySteps } from '../advisory-steps.service';

@Controller()
export class AnnounceAdvisoryMessageController {
  constructor(private readonly steps: AdvisorySteps) {}

  @MessagePattern(Rpc.AdvisoryAnnounce)
  announce(@Payload() cmd: AnnounceAdvisoryCommand): Promise<AdvisoryView> {
    return this.steps.announce(cmd);
  }
}
