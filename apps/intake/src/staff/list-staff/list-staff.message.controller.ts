import { ListQuery, Page, Rpc, StaffView } from '@sladesk/contracts';
import { decodeCursor, pageOf } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { StaffRepository } from '../staff.repository';
import { toStaffView } from '../staff.schema';

@Controller()
export class ListStaffMessageController {
  constructor(private readonly staff: StaffRepository) {}

  /** In id order; `nextCursor` continues after the last item. */
  @MessagePattern(Rpc.StaffList)
  async list(@Payload() q: ListQuery): Promise<Page<StaffView>> {
    const limit = q.limit ?? 50;
    const rows = await this.staff.list(q.cursor ? decodeCursor(q.cursor) : undefined, limit + 1);
    return pageOf(rows, limit, toStaffView);
  }
}
