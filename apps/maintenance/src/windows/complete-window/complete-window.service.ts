import { AppError, CompleteWindowCommand, Events, WindowView } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { Injectable } from '@nestjs/common';
import { assertCan } from '../transitions';
import { WindowRepository } from '../window.repository';

/**
 * The window is over: records the actual end and publishes `maintenance.completed` with the actual
 * start and end, which availability uses to exclude the downtime of its components.
 */
@Injectable()
export class CompleteWindowService {
  constructor(private readonly windows: WindowRepository) {}

  async execute(cmd: CompleteWindowCommand, now = new Date()): Promise<WindowView> {
    const w = await this.windows.get(cmd.id);
    assertCan('complete', w.state, w._id);
    const actualEnd = cmd.at ? new Date(cmd.at) : now;
    const actualStart = w.actualStart!;
    if (actualEnd.getTime() < actualStart.getTime())
      throw new AppError('MAINTENANCE_WINDOW.INVALID_TIMES', `the actual end ${actualEnd.toISOString()} is before the actual start ${actualStart.toISOString()}`);
    await this.windows.write(w, {
      $set: { state: 'completed', actualEnd, updatedAt: now },
      $push: {
        history: { at: now.toISOString(), action: 'completed', ...(cmd.by ? { by: cmd.by } : {}), ...(cmd.note ? { note: cmd.note } : {}) },
        outbox: outboxEvent(
          Events.MaintenanceCompleted,
          {
            windowId: w._id,
            components: w.components,
            impact: w.impact,
            plannedStart: w.plannedStart.toISOString(),
            plannedEnd: w.plannedEnd.toISOString(),
            actualStart: actualStart.toISOString(),
            actualEnd: actualEnd.toISOString(),
            at: now.toISOString(),
          },
          now,
        ),
      },
    });
    return this.windows.view(await this.windows.get(w._id));
  }
}
