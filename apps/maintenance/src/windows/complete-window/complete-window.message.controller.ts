import { CompleteWindowCommand, Rpc, WindowView } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CompleteWindowService } from './complete-window.service';

@Controller()
export class CompleteWindowMessageController {
  constructor(private readonly service: CompleteWindowService) {}

  @MessagePattern(Rpc.WindowComplete)
  complete(@Payload() cmd: CompleteWindowCommand): Promise<WindowView> {
    return this.service.execute(cmd);
  }
}
