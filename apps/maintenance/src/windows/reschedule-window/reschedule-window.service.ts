import { AppError, Events, RescheduleWindowCommand, WindowView } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { ReminderStore } from '../../reminders/reminder.store';
import { planReminders } from '../create-window/create-window.service';
import { assertCan } from '../transitions';
import { WindowRepository } from '../window.repository';

/**
 * Moves a window: a new schedule version, its reminders planned anew (the old ones no longer stand),
 * and customers re-notified with the old and the new times.
 */
@Injectable()
export class RescheduleWindowService {
  constructor(
    private readonly windows: WindowRepository,
    private readonly reminders: ReminderStore,
  ) {}

  async execute(cmd: RescheduleWindowCommand, now = new Date()): Promise<WindowView> {
    const w = await this.windows.get(cmd.id);
    assertCan('reschedule', w.state, w._id);
    const plannedStart = new Date(cmd.plannedStart);
    const plannedEnd = new Date(cmd.plannedEnd);
    if (!(plannedEnd.getTime() > plannedStart.getTime())) throw new AppError('MAINTENANCE_WINDOW.INVALID_TIMES', 'plannedEnd must be after plannedStart');
    const version = w.version + 1;
    const reminders = planReminders(w.reminderOffsets, plannedStart, now);
    await this.reminders.plan({ _id: w._id, version, reminders }, now);
    await this.windows.write(w, {
      $set: { plannedStart, plannedEnd, version, reminders, updatedAt: now },
      $push: {
        history: {
          at: now.toISOString(),
          action: 'rescheduled',
          previousStart: w.plannedStart.toISOString(),
          previousEnd: w.plannedEnd.toISOString(),
          ...(cmd.by ? { by: cmd.by } : {}),
          ...(cmd.reason ? { note: cmd.reason } : {}),
        },
        outbox: outboxEvent(
          Events.MaintenanceRescheduled,
          {
            windowId: w._id,
            title: w.title,
            components: w.components,
            impact: w.impact,
            plannedStart: plannedStart.toISOString(),
            plannedEnd: plannedEnd.toISOString(),
            previousStart: w.plannedStart.toISOString(),
            previousEnd: w.plannedEnd.toISOString(),
            version,
            ...(w.series ? { seriesId: w.series.id } : {}),
            at: now.toISOString(),
          },
          now,
        ),
      },
    });
    await this.reminders.retire(w, 'superseded');
    return this.windows.view(await this.windows.get(w._id));
  }
}
