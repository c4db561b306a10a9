import { SingleFlight } from '@sladesk/messaging';
import { DueEntry, DueIndex } from '@sladesk/persistence';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Connection } from 'mongoose';
import { MaintenanceEnv } from '../config';

type Handler = (entry: DueEntry) => Promise<void>;

const INTERVAL = 'maintenance-due';

/**
 * What maintenance must do when: reminders to send (`r:<reminderId>`) and notices to fan out
 * (`n:<noticeId>`), in one `_id`-keyed due index (`maintenance_due`, 30-second buckets). An interval
 * registered with @nestjs/schedule ticks every SLADESK_MAINTENANCE_TICK_MS and hands each due entry to
 * its handler; passes never overlap. Several instances read the same entries: the handlers' claims
 * (conditional updates) decide who acts, and an entry is removed only once handled.
 */
@Injectable()
export class DueSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DueSchedule.name);
  readonly index: DueIndex;
  private readonly handlers = new Map<string, Handler>();
  private readonly loop: SingleFlight;
  private stopped = true;

  constructor(
    @InjectConnection() connection: Connection,
    private readonly config: MaintenanceEnv,
    private readonly registry: SchedulerRegistry,
  ) {
    this.index = new DueIndex(connection.collection('maintenance_due') as never, { name: 'maintenance', bucketMs: 30_000 });
    this.loop = new SingleFlight(() => this.pass(), { name: 'maintenance due', logger: this.logger });
  }

  /** Entries whose id starts with `prefix` go to `handler` (which must `done` or reschedule them). */
  on(prefix: string, handler: Handler): void {
    this.handlers.set(prefix, handler);
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    const timer = setInterval(() => this.loop.kick(), this.config.SLADESK_MAINTENANCE_TICK_MS);
    timer.unref();
    this.registry.addInterval(INTERVAL, timer);
    this.loop.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('interval', INTERVAL)) this.registry.deleteInterval(INTERVAL);
    await this.loop.stop();
  }

  /** Something is due at `at`: when that is now, do not wait for the next tick. */
  kickSoon(at: Date): void {
    if (!this.stopped && at.getTime() <= Date.now()) this.loop.kick();
  }

  private async pass(): Promise<void> {
    for (let round = 0; round < 50 && !this.stopped; round++) {
      const entries = await this.index.due(new Date(), 200);
      for (const entry of entries) {
        if (this.stopped) return;
        const handler = [...this.handlers].find(([prefix]) => entry.id.startsWith(prefix))?.[1];
        try {
          if (handler) await handler(entry);
          else await this.index.done(entry);
        } catch (e) {
          this.logger.warn(`due entry ${entry.id} failed, will retry: ${(e as Error).message}`);
        }
      }
      if (entries.length < 200) return;
    }
  }
}
