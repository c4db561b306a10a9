import { CreatedWindowView, CreateWindowCommand, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CreateWindowService } from './create-window.service';

@Controller()
export class CreateWindowMessageController {
  constructor(private readonly service: CreateWindowService) {}

  @MessagePattern(Rpc.WindowCreate)
  create(@Payload() cmd: CreateWindowCommand): Promise<CreatedWindowView> {
    return this.service.execute(cmd);
  }
}
