import { RescheduleWindowCommand, Rpc, WindowView } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RescheduleWindowService } from './reschedule-window.service';

@Controller()
export class RescheduleWindowMessageController {
  constructor(private readonly service: RescheduleWindowService) {}

  @MessagePattern(Rpc.WindowReschedule)
  reschedule(@Payload() cmd: RescheduleWindowCommand): Promise<WindowView> {
    return this.service.execute(cmd);
  }
}
