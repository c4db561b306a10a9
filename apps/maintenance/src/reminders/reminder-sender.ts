import { Events } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent, SERVICE_RUNTIME, ServiceRuntime } from '@sladesk/messaging';
import { DueEntry } from '@sladesk/persistence';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DueSchedule } from '../common/due-schedule';
import { MaintenanceWindow } from '../windows/window.schema';
import { WindowRepository } from '../windows/window.repository';
import { REMINDER_ENTRY, ReminderStore } from './reminder.store';

/**
 * Sends due reminders, each exactly once: the conditional update `pending → sent` is the claim and
 * carries the `maintenance.reminder` event in the same write, so of two instances (or a retry after a
 * crash) only one publishes it; the notice it causes has an id derived from the reminder. A reminder
 * whose window was cancelled, rescheduled or started is retired instead.
 */
@Injectable()
export class ReminderSender implements OnModuleInit {
  private readonly logger = new Logger(ReminderSender.name);

  constructor(
    private readonly due: DueSchedule,
    private readonly reminders: ReminderStore,
    private readonly windows: WindowRepository,
    private readonly relay: OutboxRelay,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  onModuleInit(): void {
    this.due.on(REMINDER_ENTRY, (entry) => this.fire(entry));
  }

  async fire(entry: DueEntry, now = new Date()): Promise<void> {
    const id = entry.id.slice(REMINDER_ENTRY.length);
    const r = await this.reminders.findById(id);
    if (!r || r.state !== 'pending' || r.dueAt.getTime() !== entry.dueAt.getTime()) return this.due.index.done(entry);
    const w = await this.windows.findById(r.windowId);
    const stands = w && w.state === 'scheduled' && w.version === r.version && plans(w, r.offset, r.dueAt);
    if (!stands) {
      const state = w?.state === 'cancelled' ? 'cancelled' : 'superseded';
      await this.reminders.model.updateOne({ _id: id, state: 'pending' }, { $set: { state } });
      return this.due.index.done(entry);
    }
    const event = outboxEvent(
      Events.MaintenanceReminder,
      { windowId: w._id, reminderId: id, offset: r.offset, version: r.version, plannedStart: w.plannedStart.toISOString(), at: now.toISOString() },
      now,
    );
    const res = await this.reminders.model.updateOne(
      { _id: id, state: 'pending', dueAt: r.dueAt },
      { $set: { state: 'sent', sentAt: now, sentBy: this.runtime.instanceId }, $push: { outbox: event } },
    );
    if (res.modifiedCount === 1) {
      this.relay.published(this.reminders.model, id);
      this.logger.log(`reminder ${id} sent`);
    }
    await this.due.index.done(entry);
  }
}

const plans = (w: MaintenanceWindow, offset: string, dueAt: Date) =>
  w.reminders.some((p) => p.offset === offset && new Date(p.dueAt).getTime() === dueAt.getTime());
