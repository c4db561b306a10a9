import { ListWindowsQuery, Rpc, WindowView } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import mongoose from 'mongoose';
import { decodeCursor, pageOf } from '../../common/cursor';
import { MaintenanceWindow, toWindowView } from '../window.schema';
import { WindowRepository } from '../window.repository';

const CURSOR = /^\d{13}\|[A-Za-z0-9_.:-]{1,64}$/;

@Controller()
export class ListWindowsMessageController {
  constructor(private readonly windows: WindowRepository) {}

  /**
   * Windows in order of planned start (then id), filtered by state, component, series and time.
   * Windows are few (hundreds a year): indexed on MongoDB, a scan of a small collection on FerretDB.
   */
  @MessagePattern(Rpc.WindowList)
  async list(@Payload() q: ListWindowsQuery): Promise<{ items: WindowView[]; nextCursor?: string }> {
    const limit = q.limit ?? 50;
    const filter: Record<string, unknown> = {};
    if (q.state) filter.state = q.state;
    if (q.component) filter.components = q.component;
    if (q.seriesId) filter['series.id'] = q.seriesId;
    const and: object[] = [];
    if (q.from) and.push({ plannedEnd: mongoose.trusted({ $gte: new Date(q.from) }) });
    if (q.to) and.push({ plannedStart: mongoose.trusted({ $lt: new Date(q.to) }) });
    if (q.cursor) {
      const [ms, id] = decodeCursor(q.cursor, CURSOR).split('|');
      const at = new Date(Number(ms));
      and.push({ $or: [{ plannedStart: mongoose.trusted({ $gt: at }) }, { plannedStart: at, _id: mongoose.trusted({ $gt: id }) }] });
    }
    if (and.length) filter.$and = and;
    const rows = await this.windows.model.find(filter, { outbox: 0 }).sort({ plannedStart: 1, _id: 1 }).limit(limit + 1).lean<MaintenanceWindow[]>();
    return pageOf(rows, limit, (w) => toWindowView(w), (w) => `${w.plannedStart.getTime()}|${w._id}`);
  }
}
