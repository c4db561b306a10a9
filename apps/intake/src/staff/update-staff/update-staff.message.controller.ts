import { Rpc, StaffView, UpdateStaffCommand } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { UpdateStaffService } from './update-staff.service';

@Controller()
export class UpdateStaffMessageController {
  constructor(private readonly service: UpdateStaffService) {}

  @MessagePattern(Rpc.StaffUpdate)
  update(@Payload() cmd: UpdateStaffCommand): Promise<StaffView> {
    return this.service.execute(cmd);
  }
}
