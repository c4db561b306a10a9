import { AdvisoryView, CreateAdvisoryCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CreateAdvisoryService } from './create-advisory.service';

@Controller()
export class CreateAdvisoryMessageController {
  constructor(private readonly service: CreateAdvisoryService) {}

  @MessagePattern(Rpc.AdvisoryCreate)
  create(@Payload() cmd: CreateAdvisoryCommand): Promise<AdvisoryView> {
    return this.service.execute(cmd);
  }
}
