import { CancelWindowCommand, Rpc, WindowView } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CancelWindowService } from './cancel-window.service';

@Controller()
export class CancelWindowMessageController {
  constructor(private readonly service: CancelWindowService) {}

  @MessagePattern(Rpc.WindowCancel)
  cancel(@Payload() cmd: CancelWindowCommand): Promise<WindowView> {
    return this.service.execute(cmd);
  }
}
