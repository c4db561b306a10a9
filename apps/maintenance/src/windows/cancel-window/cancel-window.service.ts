import { CancelWindowCommand, Events, WindowView } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { ReminderStore } from '../../reminders/reminder.store';
import { assertCan } from '../transitions';
import { WindowRepository } from '../window.repository';

/** Cancels a window before it starts: customers are told, and no reminder of it is sent any more. */
@Injectable()
export class CancelWindowService {
  constructor(
    private readonly windows: WindowRepository,
    private readonly reminders: ReminderStore,
  ) {}

  async execute(cmd: CancelWindowCommand, now = new Date()): Promise<WindowView> {
    const w = await this.windows.get(cmd.id);
    assertCan('cancel', w.state, w._id);
    await this.windows.write(w, {
      $set: { state: 'cancelled', updatedAt: now },
      $push: {
        history: { at: now.toISOString(), action: 'cancelled', ...(cmd.by ? { by: cmd.by } : {}), ...(cmd.reason ? { note: cmd.reason } : {}) },
        outbox: outboxEvent(
          Events.MaintenanceCancelled,
          { windowId: w._id, components: w.components, plannedStart: w.plannedStart.toISOString(), plannedEnd: w.plannedEnd.toISOString(), ...(cmd.reason ? { reason: cmd.reason } : {}), at: now.toISOString() },
          now,
        ),
      },
    });
    // Best effort: a reminder that slips through is checked against the window when due.
    await this.reminders.retire(w, 'cancelled');
    return this.windows.view(await this.windows.get(w._id));
  }
}
