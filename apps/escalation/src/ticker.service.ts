import { BACKGROUND_SCAN_SHARE, SingleFlight } from '@sladesk/messaging';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EscalationRulesService } from './cases/escalation-rules.service';
import { EscalationEnv } from './config';
import { EscalationService } from './escalations/escalation.service';
import { IncidentService } from './incidents/incident.service';
import { IdSets } from './keyed/id-sets';
import { LoadSets } from './keyed/load-sets';
import { RepairService } from './keyed/repair.service';
import { NotificationService } from './notifications/notification.service';

/**
 * The clock of the escalation service: sends due notifications, acts on unacknowledged escalations
 * and on cases unresolved for too long. It finds them in due-time indexes read by `_id` (a few reads
 * per pass whatever the size of the collections), and each action is claimed by a conditional
 * update, so a restart or a second instance loses and duplicates nothing. A much slower background
 * pass (RepairService, every SLADESK_ESCALATION_REPAIR_MS) re-indexes anything overdue the indexes missed.
 */
@Injectable()
export class TickerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TickerService.name);
  private readonly ticks: SingleFlight;
  private readonly repairs: SingleFlight;

  constructor(
    config: EscalationEnv,
    private readonly notifications: NotificationService,
    private readonly escalations: EscalationService,
    private readonly rules: EscalationRulesService,
    private readonly incidents: IncidentService,
    private readonly repair: RepairService,
    private readonly sets: IdSets,
    private readonly loads: LoadSets,
  ) {
    this.ticks = new SingleFlight(() => this.tick(), { name: 'escalation tick', intervalMs: config.SLADESK_ESCALATION_TICK_MS, logger: this.logger });
    // Not at start (SingleFlight's first pass): a service that restarts often must not scan each time.
    // The first pass only folds what earlier layouts left (once per database): day sets into month
    // documents, load sets into buckets.
    let started = false;
    const repairPass = async () => {
      if (started) return this.repair.run();
      await this.sets.foldLegacyDaySets();
      await this.loads.foldLegacy();
      started = true;
    };
    this.repairs = new SingleFlight(repairPass, { name: 'escalation repair', intervalMs: config.SLADESK_ESCALATION_REPAIR_MS, maxShare: BACKGROUND_SCAN_SHARE, logger: this.logger });
  }

  onApplicationBootstrap(): void {
    this.ticks.start();
    this.repairs.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.ticks.stop(), this.repairs.stop()]);
  }

  /** One pass over the due-time indexes; one failing does not hold up the others. */
  async tick(now = new Date()): Promise<void> {
    const steps: [string, () => Promise<unknown>][] = [
      ['acknowledgement timeouts', () => this.escalations.handleAckTimeouts(now)],
      ['unresolved cases', () => this.rules.handleUnresolved(now)],
      ['due notifications', () => this.notifications.dispatchDue(now)],
      ['incident evaluations', () => this.incidents.handleEvaluations(now)],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (e) {
        this.logger.warn(`${what} failed, will retry: ${(e as Error).message}`);
      }
    }
  }
}
