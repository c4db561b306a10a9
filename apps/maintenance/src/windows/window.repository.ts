import { AppError, ReminderView, WindowView } from '@sladesk/contracts';
import { OutboxRelay } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ReminderStore } from '../reminders/reminder.store';
import { MaintenanceWindow, toWindowView } from './window.schema';

@Injectable()
export class WindowRepository {
  constructor(
    @InjectModel(MaintenanceWindow.name) readonly model: Model<MaintenanceWindow>,
    readonly relay: OutboxRelay,
    private readonly reminders: ReminderStore,
  ) {}

  findById(id: string): Promise<MaintenanceWindow | null> {
    return this.model.findById(id, { outbox: 0 }).lean<MaintenanceWindow>();
  }

  async get(id: string): Promise<MaintenanceWindow> {
    const w = await this.findById(id);
    if (!w) throw new AppError('MAINTENANCE_WINDOW.NOT_FOUND', `Maintenance window ${id} does not exist`);
    return w;
  }

  /**
   * The one write path of a change: conditional on the revision read (a concurrent change answers
   * RESOURCE.CONCURRENT_UPDATE), the events it causes appended in the same write, then published.
   */
  async write(w: MaintenanceWindow, update: { $set: Record<string, unknown>; $push?: Record<string, unknown> }): Promise<void> {
    const res = await this.model.updateOne({ _id: w._id, rev: w.rev }, { ...update, $set: { ...update.$set, rev: w.rev + 1 } });
    if (res.modifiedCount !== 1) throw new AppError('RESOURCE.CONCURRENT_UPDATE', `Window ${w._id} changed meanwhile; read it again and retry`);
    this.relay.published(this.model, w._id);
  }

  /** The view, with the state of each reminder of the current version (read by `_id`). */
  async view(w: MaintenanceWindow): Promise<WindowView> {
    const states = new Map<string, ReminderView>();
    const docs = await Promise.all(w.reminders.map((r) => this.reminders.findById(this.reminders.idOf(w._id, r.offset, w.version))));
    for (const d of docs) {
      if (d) states.set(d.offset, { offset: d.offset, dueAt: d.dueAt.toISOString(), state: d.state, ...(d.sentAt ? { sentAt: d.sentAt.toISOString() } : {}) });
    }
    return toWindowView(w, states);
  }
}
