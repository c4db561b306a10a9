import { Rpc, WindowIdQuery, WindowView } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { WindowRepository } from '../window.repository';

@Controller()
export class GetWindowMessageController {
  constructor(private readonly windows: WindowRepository) {}

  @MessagePattern(Rpc.WindowGet)
  async get(@Payload() q: WindowIdQuery): Promise<WindowView> {
    return this.windows.view(await this.windows.get(q.id));
  }
}
