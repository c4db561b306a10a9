import { EscalationEvents, MaintenanceEvents, Streams } from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';
import { Logger } from '@nestjs/common';
import { TimerEntry, TimerStore } from '../timers/timer-store';
import { TimerWheel, TimerWheelOptions } from '../timers/timer-wheel';
import { TimerScheduler } from './ledger.service';

/** Internal: "an availability timer was stored in slot N" (the owner of the slot loads it at once). */
const HINT_SUBJECT = 'sladesk.sla.internal.availability-timer-stored';

/** The event consumers to drain before overdue timers fire after a start (a restoration heard late must count first). */
const LEDGER_SUBJECTS = [EscalationEvents.IncidentOpened, EscalationEvents.IncidentUpdated, EscalationEvents.IncidentRestored, MaintenanceEvents.MaintenanceCompleted];

/**
 * The sla service's durable timers (slots, leases, versions: see ../timers) in their own collections
 * (`sla_avail_timer_*`), firing the availability ledger's budget, restoration, month-close and carry timers.
 */
export class AvailabilityTimers implements TimerScheduler {
  private readonly logger = new Logger('availability');
  private readonly store: TimerStore;
  readonly wheel: TimerWheel;

  constructor(
    store: TimerStore,
    private readonly bus: NatsBus,
    handler: (t: TimerEntry) => Promise<void>,
    options: TimerWheelOptions,
  ) {
    this.store = store;
    this.wheel = new TimerWheel(store, handler, options);
  }

  async schedule(entries: TimerEntry[]): Promise<void> {
    const slots = await this.store.schedule(entries);
    const horizon = this.store.slotOf(Date.now() + 120_000);
    for (const slot of slots) {
      this.wheel.hint(slot);
      if (slot <= horizon) this.bus.nc.publish(HINT_SUBJECT, String(slot));
    }
  }

  async start(catchUpMaxMs: number): Promise<void> {
    await this.wheel.start(catchUpMaxMs === 0);
    this.bus.nc.subscribe(HINT_SUBJECT, {
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
        LEDGER_SUBJECTS.map((s) =>
          this.bus.jsm.consumers.info(Streams.Events.name, consumerName('sla', s)).then(
            (i) => i.num_pending === 0 && i.num_ack_pending === 0,
            () => false,
          ),
        ),
      );
      if (drained.every(Boolean)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (Date.now() >= deadline) this.logger.warn(`incident events still pending after ${maxMs} ms; firing overdue availability timers anyway`);
    this.wheel.enableFiring();
  }

  stop(): Promise<void> {
    return this.wheel.stop();
  }
}
