import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { DueSchedule } from '../common/due-schedule';
import { Reminder } from './reminder.schema';

export const REMINDER_ENTRY = 'r:';

export interface PlannableWindow {
  _id: string;
  version: number;
  reminders: { offset: string; dueAt: Date }[];
}

/** Reminder documents and their due-index entries. */
@Injectable()
export class ReminderStore {
  constructor(
    @InjectModel(Reminder.name) readonly model: Model<Reminder>,
    private readonly due: DueSchedule,
  ) {}

  idOf(windowId: string, offset: string, version: number): string {
    return `${windowId}:${offset}:${version}`;
  }

  findById(id: string): Promise<Reminder | null> {
    return this.model.findById(id, { outbox: 0 }).lean<Reminder>();
  }

  /**
   * Makes sure every reminder the window's current version plans exists and is due (idempotent; the
   * window decides at sending time whether a reminder still stands).
   */
  async plan(w: PlannableWindow, now = new Date()): Promise<void> {
    await Promise.all(
      w.reminders.map(async (r) => {
        const id = this.idOf(w._id, r.offset, w.version);
        await this.due.index.schedule(REMINDER_ENTRY + id, r.dueAt, now);
        await this.model
          .updateOne(
            { _id: id, state: 'pending' },
            { $set: { dueAt: r.dueAt }, $setOnInsert: { windowId: w._id, offset: r.offset, version: w.version } },
            { upsert: true },
          )
          .catch((e) => {
            // Exists and is no longer pending (sent, cancelled): nothing to plan.
            if ((e as { code?: number }).code !== 11000) throw e;
          });
        this.due.kickSoon(r.dueAt);
      }),
    );
  }

  /** Marks the window's pending reminders of `version` as no longer standing (best effort: sending re-checks). */
  async retire(w: PlannableWindow, state: 'cancelled' | 'superseded'): Promise<void> {
    await Promise.all(
      w.reminders.map((r) =>
        this.model.updateOne({ _id: this.idOf(w._id, r.offset, w.version), state: 'pending' }, { $set: { state } }),
      ),
    );
  }

  /** For operators and tests: every reminder document of a window (indexed by windowId on MongoDB). */
  ofWindow(windowId: string): Promise<Reminder[]> {
    return this.model.find({ windowId: mongoose.trusted({ $eq: windowId }) }, { outbox: 0 }).lean<Reminder[]>();
  }
}
