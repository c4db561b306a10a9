import { EscalationEvents, MaintenanceEvents } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { HintedTimers } from '../timers/sla-timers';
import { TimerEntry, TimerStore } from '../timers/timer-store';
import { TimerWheelOptions } from '../timers/timer-wheel';

/** Internal: "an availability timer was stored in slot N" (the owner of the slot loads it at once). */
const HINT_SUBJECT = 'sladesk.sla.internal.availability-timer-stored';

/** The event consumers to drain before overdue timers fire after a start (a restoration heard late must count first). */
const LEDGER_SUBJECTS = [EscalationEvents.IncidentOpened, EscalationEvents.IncidentUpdated, EscalationEvents.IncidentRestored, MaintenanceEvents.MaintenanceCompleted];

/**
 * The sla service's durable timers (slots, leases, versions: see ../timers) in their own collections
 * (`sla_avail_timer_*`), firing the availability ledger's budget, restoration, month-close and carry timers.
 */
export class AvailabilityTimers extends HintedTimers {
  constructor(store: TimerStore, bus: NatsBus, handler: (t: TimerEntry) => Promise<void>, options: TimerWheelOptions) {
    super(store, bus, handler, options, { hintSubject: HINT_SUBJECT, catchUpSubjects: LEDGER_SUBJECTS, label: 'availability' });
  }
}
