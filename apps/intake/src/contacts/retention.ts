import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { IntakeEnv } from '../config';
import { EraseContactService } from './erase-contact.service';

/**
 * With SLADESK_RETENTION_DAYS set, every SLADESK_RETENTION_SWEEP_MS the cases resolved longer ago than
 * that lose their personal data (as an erasure with reason `retention`), a hundred at a time.
 */
@Injectable()
export class RetentionSweeper implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly erasure: EraseContactService,
    private readonly config: IntakeEnv,
  ) {}

  onModuleInit(): void {
    this.erasure.register(); // the erasure records' outbox (contact.erased)
  }

  onApplicationBootstrap(): void {
    const days = this.config.SLADESK_RETENTION_DAYS;
    if (!days) return;
    this.timer = setInterval(() => void this.sweep(days), this.config.SLADESK_RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async sweep(days: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let more = true; more; ) {
        const r = await this.erasure.sweepRetention({ olderThanDays: days, limit: 100 });
        if (r.erased.length) this.logger.log(`retention: personal data of ${r.erased.length} cases resolved over ${days} days ago erased`);
        more = r.more;
      }
    } catch (e) {
      this.logger.warn(`retention sweep failed, next in ${this.config.SLADESK_RETENTION_SWEEP_MS} ms: ${(e as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
