import { AdvisoryView, ReleaseAdvisoryCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AdvisorySteps } from '../advisory-steps.service';

@Controller()
export class ReleaseAdvisoryMessageController {
  constructor(private readonly steps: AdvisorySteps) {}

  @MessagePattern(Rpc.AdvisoryRelease)
  release(@Payload() cmd: ReleaseAdvisoryCommand): Promise<AdvisoryView> {
    return this.steps.release(cmd);
  }
}
