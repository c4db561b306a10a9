import { CaseEvents, Streams } from '@sladesk/contracts';
import { consumerName, NatsBus } from '@sladesk/messaging';
import { Logger } from '@nestjs/common';
import { TimerEntry, TimerStore } from './timer-store';
import { TimerWheel, TimerWheelOptions } from './timer-wheel';

/** Internal: "a timer was stored in slot N", so the instance that owns the slot loads it at once. */
export const TIMER_HINT_SUBJECT = 'sladesk.sla.internal.timer-stored';

/** The case events whose consumers must be drained before overdue timers fire after a start. */
export const CLOCK_SUBJECTS = [
  CaseEvents.CaseOpened,
  CaseEvents.CaseResponded,
  CaseEvents.CaseCustomerReplied,
  CaseEvents.CaseStatusChanged,
  CaseEvents.CaseReclassified,
  CaseEvents.CaseResolved,
  CaseEvents.CaseReopened,
];

export interface HintedTimersOptions {
  /** Core NATS subject telling the other instances that a slot got a timer. */
  hintSubject: string;
  /** The sla consumers (by subject) that must have applied what was in the stream at start before overdue timers fire. */
  catchUpSubjects: readonly string[];
  /** Names the timers in the log. */
  label: string;
}

/**
 * Durable timers of one kind in this instance: storing them, the wheel that fires them, hints between
 * instances. The sla service has two: the case clocks' (`SlaTimers`) and the availability ledger's.
 */
export class HintedTimers {
  private readonly logger: Logger;
  readonly wheel: TimerWheel;

  constructor(
    private readonly store: TimerStore,
    private readonly bus: NatsBus,
    handler: (t: TimerEntry) => Promise<void>,
    options: TimerWheelOptions,
    private readonly kind: HintedTimersOptions,
  ) {
    this.logger = new Logger(kind.label);
    this.wheel = new TimerWheel(store, handler, options);
  }

  async schedule(entries: TimerEntry[]): Promise<void> {
    const slots = await this.store.schedule(entries);
    const horizon = this.store.slotOf(Date.now() + 120_000);
    for (const slot of slots) {
      this.wheel.hint(slot);
      if (slot <= horizon) this.bus.nc.publish(this.kind.hintSubject, String(slot));
    }
  }

  /**
   * Starts the wheel. Overdue timers wait (at most `catchUpMaxMs`) until the consumers have applied every
   * event that was in the stream when this instance started: a response recorded while the service was
   * down is applied before its breach would fire. Events published after the start do not hold firing
   * back, so under a steady load timers are late by the restart and its backlog, not by the load.
   */
  async start(catchUpMaxMs: number): Promise<void> {
    await this.wheel.start(catchUpMaxMs === 0);
    this.bus.nc.subscribe(this.kind.hintSubject, {
      callback: (_err, msg) => {
        const slot = Number(msg.string());
        if (Number.isSafeInteger(slot)) this.wheel.hint(slot);
      },
    });
    if (catchUpMaxMs > 0) void this.enableAfterCatchUp(catchUpMaxMs);
  }

  private async enableAfterCatchUp(maxMs: number): Promise<void> {
    const started = Date.now();
    const deadline = started + maxMs;
    const target = await this.bus.jsm.streams.info(Streams.Events.name).then(
      (i) => i.state.last_seq,
      () => Infinity, // unknown: wait until nothing is pending at all
    );
    while (Date.now() < deadline) {
      const drained = await Promise.all(
        this.kind.catchUpSubjects.map((s) =>
          this.bus.jsm.consumers.info(Streams.Events.name, consumerName('sla', s)).then(
            (i) => (i.num_pending === 0 && i.num_ack_pending === 0) || i.ack_floor.stream_seq >= target,
            () => false,
          ),
        ),
      );
      if (drained.every(Boolean)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (Date.now() >= deadline) this.logger.warn(`events from before the start still pending after ${maxMs} ms; firing overdue timers anyway`);
    else if (Date.now() - started > 1000) this.logger.log(`caught up with the events from before the start in ${Date.now() - started} ms; overdue timers fire now`);
    this.wheel.enableFiring();
  }

  stop(): Promise<void> {
    return this.wheel.stop();
  }
}

/** The case clocks' timers. */
export class SlaTimers extends HintedTimers {
  constructor(store: TimerStore, bus: NatsBus, handler: (t: TimerEntry) => Promise<void>, options: TimerWheelOptions) {
    super(store, bus, handler, options, { hintSubject: TIMER_HINT_SUBJECT, catchUpSubjects: CLOCK_SUBJECTS, label: 'SlaTimers' });
  }
}
