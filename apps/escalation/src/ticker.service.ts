import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { EscalationRulesService } from './cases/escalation-rules.service';
import { EscalationEnv } from './config';
import { EscalationService } from './escalations/escalation.service';
import { NotificationService } from './notifications/notification.service';

/**
 * The clock of the escalation service: sends due notifications, acts on unacknowledged escalations
 * and on cases unresolved for too long. Everything it acts on is in MongoDB with its due time, and
 * each action is claimed by a conditional update, so a restart or a second instance loses and
 * duplicates nothing.
 */
@Injectable()
export class TickerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TickerService.name);
  private running?: Promise<void>;

  constructor(
    private readonly config: EscalationEnv,
    private readonly scheduler: SchedulerRegistry,
    private readonly notifications: NotificationService,
    private readonly escalations: EscalationService,
    private readonly rules: EscalationRulesService,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.tick(), this.config.SLADESK_ESCALATION_TICK_MS);
    this.scheduler.addInterval('escalation-tick', timer);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', 'escalation-tick')) this.scheduler.deleteInterval('escalation-tick');
    await this.running;
  }

  /** One pass; passes never overlap. */
  tick(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.escalations.handleAckTimeouts();
        await this.rules.handleUnresolved();
        await this.notifications.dispatchDue();
      } catch (e) {
        this.logger.warn(`tick failed, will retry: ${(e as Error).message}`);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
