import { BACKGROUND_SCAN_SHARE, SingleFlight } from '@sladesk/messaging';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ReportingEnv } from '../config';
import { BucketStore } from './buckets';

/** Background: every SLADESK_REPORTING_PRUNE_MS, forgets counter delta ids older than SLADESK_REPORTING_DELTA_KEEP_MS. */
@Injectable()
export class BucketPruner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly loop: SingleFlight;

  constructor(buckets: BucketStore, config: ReportingEnv) {
    this.loop = new SingleFlight(() => buckets.prune(config.SLADESK_REPORTING_DELTA_KEEP_MS), {
      name: 'bucket prune',
      intervalMs: config.SLADESK_REPORTING_PRUNE_MS,
      maxShare: BACKGROUND_SCAN_SHARE,
      logger: new Logger(BucketPruner.name),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.loop.stop();
  }
}
