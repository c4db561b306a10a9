import { CaseChange, ResolveCaseCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ResolveCaseService } from './resolve-case.service';

@Controller()
export class ResolveCaseMessageController {
  constructor(private readonly service: ResolveCaseService) {}

  @MessagePattern(Rpc.CaseResolve)
  resolve(@Payload() cmd: ResolveCaseCommand): Promise<CaseChange> {
    return this.service.execute(cmd);
  }
}
