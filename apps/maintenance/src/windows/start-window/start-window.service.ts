import { Events, StartWindowCommand, WindowView } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { ReminderStore } from '../../reminders/reminder.store';
import { assertCan } from '../transitions';
import { WindowRepository } from '../window.repository';

/** The window's work begins: records the actual start; reminders still pending no longer stand. */
@Injectable()
export class StartWindowService {
  constructor(
    private readonly windows: WindowRepository,
    private readonly reminders: ReminderStore,
  ) {}

  async execute(cmd: StartWindowCommand, now = new Date()): Promise<WindowView> {
    const w = await this.windows.get(cmd.id);
    assertCan('start', w.state, w._id);
    const actualStart = cmd.at ? new Date(cmd.at) : now;
    await this.windows.write(w, {
      $set: { state: 'in_progress', actualStart, updatedAt: now },
      $push: {
        history: { at: now.toISOString(), action: 'started', ...(cmd.by ? { by: cmd.by } : {}), ...(cmd.note ? { note: cmd.note } : {}) },
        outbox: outboxEvent(Events.MaintenanceStarted, { windowId: w._id, components: w.components, actualStart: actualStart.toISOString(), at: now.toISOString() }, now),
      },
    });
    await this.reminders.retire(w, 'superseded');
    return this.windows.view(await this.windows.get(w._id));
  }
}
