import { GetByIdQuery, Rpc, StaffView } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { StaffRepository } from '../staff.repository';
import { toStaffView } from '../staff.schema';

@Controller()
export class GetStaffMessageController {
  constructor(private readonly staff: StaffRepository) {}

  @MessagePattern(Rpc.StaffGet)
  async get(@Payload() q: GetByIdQuery): Promise<StaffView> {
    return toStaffView(await this.staff.get(q.id));
  }
}
