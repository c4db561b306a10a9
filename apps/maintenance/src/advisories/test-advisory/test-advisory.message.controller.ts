import { AdvisoryView, TestAdvisoryCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AdvisorySteps } from '../advisory-steps.service';

@Controller()
export class TestAdvisoryMessageController {
  constructor(private readonly steps: AdvisorySteps) {}

  @MessagePattern(Rpc.AdvisoryTest)
  test(@Payload() cmd: TestAdvisoryCommand): Promise<AdvisoryView> {
    return this.steps.test(cmd);
  }
}
