import { AdvisoryView, ValidateAdvisoryCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AdvisorySteps } from '../advisory-steps.service';

@Controller()
export class ValidateAdvisoryMessageController {
  constructor(private readonly steps: AdvisorySteps) {}

  @MessagePattern(Rpc.AdvisoryValidate)
  validate(@Payload() cmd: ValidateAdvisoryCommand): Promise<AdvisoryView> {
    return this.steps.validate(cmd);
  }
}
