import { StartWindowCommand, Rpc, WindowView } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { StartWindowService } from './start-window.service';

@Controller()
export class StartWindowMessageController {
  constructor(private readonly service: StartWindowService) {}

  @MessagePattern(Rpc.WindowStart)
  start(@Payload() cmd: StartWindowCommand): Promise<WindowView> {
    return this.service.execute(cmd);
  }
}
