import { CaseEvents, Streams } from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';
import { Logger } from '@nestjs/common';
import { TimerScheduler } from '../clocks/case-clocks.service';
import { TimerEntry, TimerStore } from './timer-store';
import { TimerWheel, TimerWheelOptions } from './timer-wheel';

/** Internal: "a timer was stored in slot N", so the instance that owns the slot loads it at once. */
export const TIMER_HINT_SUBJECT = 'sladesk.sla.internal.timer-stored';

/** The case events whose consumers must be drained before overdue timers fire after a start. */
const CLOCK_SUBJECTS = [
  CaseEvents.CaseOpened,
  CaseEvents.CaseResponded,
  CaseEvents.CaseCustomerReplied,
  CaseEvents.CaseStatusChanged,
  CaseEvents.CaseReclassified,
  CaseEvents.CaseResolved,
  CaseEvents.CaseReopened,
];

/** The durable timers of this instance: storing them, the wheel that fires them, hints between instances. */
export class SlaTimers implements TimerScheduler {
  private readonly logger = new Logger(SlaTimers.name);
  readonly wheel: TimerWheel;

  constructor(
    private readonly store: TimerStore,
    private readonly bus: NatsBus,
    handler: (t: TimerEntry) => Promise<void>,
    options: TimerWheelOptions,
  ) {
    this.wheel = new TimerWheel(store, handler, options);
  }

  async schedule(entries: TimerEntry[]): Promise<void> {
    const slots = await this.store.schedule(entries);
    const horizon = this.store.slotOf(Date.now() + 120_000);
    for (const slot of slots) {
      this.wheel.hint(slot);
      if (slot <= horizon) this.bus.nc.publish(TIMER_HINT_SUBJECT, String(slot));
    }
  }

  /**
   * Starts the wheel. Overdue timers wait until the case-event consumers have nothing pending (at most
   * `catchUpMaxMs`): a response recorded while the service was down is applied before its breach would fire.
   */
  async start(catchUpMaxMs: number): Promise<void> {
    await this.wheel.start(catchUpMaxMs === 0);
    this.bus.nc.subscribe(TIMER_HINT_SUBJECT, {
      callback: (_err, msg) => {
        const slot = Number(msg.string());
        if (Number.isSafeInteger(slot)) this.wheel.hint(slot);
      },
    });
    if (catchUpMaxMs > 0) void this.enableAfterCatchUp(catchUpMaxMs);
  }

  private async enableAfterCatchUp(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline) {
      const drained = await Promise.all(
        CLOCK_SUBJECTS.map((s) =>
          this.bus.jsm.consumers.info(Streams.Events.name, consumerName('sla', s)).then(
            (i) => i.num_pending === 0 && i.num_ack_pending === 0,
            () => false,
          ),
        ),
      );
      if (drained.every(Boolean)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (Date.now() >= deadline) this.logger.warn(`case events still pending after ${maxMs} ms; firing overdue timers anyway`);
    this.wheel.enableFiring();
  }

  stop(): Promise<void> {
    return this.wheel.stop();
  }
}
