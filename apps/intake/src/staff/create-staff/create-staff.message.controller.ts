import { CreateStaffCommand, Rpc, StaffView } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CreateStaffService } from './create-staff.service';

@Controller()
export class CreateStaffMessageController {
  constructor(private readonly service: CreateStaffService) {}

  @MessagePattern(Rpc.StaffCreate)
  create(@Payload() cmd: CreateStaffCommand): Promise<StaffView> {
    return this.service.execute(cmd);
  }
}
