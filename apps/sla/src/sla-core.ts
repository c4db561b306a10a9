import { AppError } from '@sladesk/contracts';
import { ServiceRuntime } from '@sladesk/messaging';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { mongo } from 'mongoose';
import { Counter, Gauge, Histogram } from 'prom-client';
import { CalendarsService } from './calendars/calendars.service';
import { CaseClocksService } from './clocks/case-clocks.service';
import { CaseIndex } from './clocks/case-index';
import { CaseLogStore } from './clocks/case-log.store';
import { SlaEnv } from './config';
import { SlaOutbox } from './outbox/sla-outbox';
import {
  DEFAULT_CALENDAR_ID,
  DEFAULT_POLICY_ID,
  defaultCalendarSpec,
  EMERGENCY_CALENDAR_ID,
  emergencyCalendarSpec,
} from './policies/default-contract';
import { PoliciesService } from './policies/policies.service';
import { SlaRegistry } from './policies/sla-registry';
import { RecomputeService } from './recompute/recompute.service';
import { SlaTimers } from './timers/sla-timers';
import { TimerStore } from './timers/timer-store';

/** Everything the sla service is made of, wired once (the parts are plain classes, easy to test alone). */
export interface SlaCore {
  registry: SlaRegistry;
  calendars: CalendarsService;
  policies: PoliciesService;
  clocks: CaseClocksService;
  outbox: SlaOutbox;
  timers: SlaTimers;
  recompute: RecomputeService;
}

export const SLA_CORE = Symbol('SLA_CORE');

export function createSlaCore(db: mongo.Db, runtime: ServiceRuntime, config: SlaEnv): SlaCore {
  const registry = new SlaRegistry(db, runtime.bus);
  const index = new CaseIndex(db);
  const recompute = new RecomputeService(db, index, registry, runtime.instanceId, config.SLADESK_SLA_REGISTRY_REFRESH_MS + 1000);
  const calendars = new CalendarsService(db, registry, recompute);
  const policies = new PoliciesService(db, registry, recompute, config.SLADESK_SLA_WARNING_THRESHOLD);
  const outbox = new SlaOutbox(db, runtime.relay);
  const log = new CaseLogStore(db, registry, config.SLADESK_SLA_CASE_CACHE);
  const fired = new Counter({
    name: 'sladesk_sla_timers_fired_total',
    help: 'SLA timers fired (warning and breach stages, stale versions included).',
    registers: [runtime.metrics.registry],
  });
  new Gauge({
    name: 'sladesk_sla_case_histories_cached',
    help: `Case histories held in memory (bounded by SLADESK_SLA_CASE_CACHE, ${config.SLADESK_SLA_CASE_CACHE}).`,
    registers: [runtime.metrics.registry],
    collect() {
      this.set(log.cached);
    },
  });
  const lateness = new Histogram({
    name: 'sladesk_sla_timer_lateness_seconds',
    help: 'How late SLA timers fired after their due time.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
    registers: [runtime.metrics.registry],
  });
  // eslint-disable-next-line prefer-const -- the wheel's handler and the clocks refer to each other
  let clocks: CaseClocksService;
  const timers = new SlaTimers(new TimerStore(db, config.SLADESK_SLA_TIMER_SLOT_MS), runtime.bus, (t) => clocks.fire(t), {
    owner: runtime.instanceId,
    horizonMs: config.SLADESK_SLA_TIMER_HORIZON_MS,
    leaseMs: config.SLADESK_SLA_TIMER_LEASE_MS,
    pollMs: config.SLADESK_SLA_TIMER_POLL_MS,
    concurrency: config.SLADESK_SLA_TIMER_CONCURRENCY,
    maxLoaded: config.SLADESK_SLA_TIMER_MAX_LOADED,
    maxAttempts: 20,
    retentionMs: config.SLADESK_SLA_TIMER_RETENTION_MS,
    onFired: (_t, ms) => {
      fired.inc();
      lateness.observe(Math.max(0, ms) / 1000);
    },
  });
  clocks = new CaseClocksService(log, index, registry, outbox, timers);
  return { registry, calendars, policies, clocks, outbox, timers, recompute };
}

const ignoreExisting = (e: unknown) => {
  if (!(e instanceof AppError && /ALREADY_EXISTS/.test(e.code))) throw e;
};

/** Seeds the default contract, then starts the timers, the outbox and the recompute jobs; stops them. */
@Injectable()
export class SlaLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('sla');

  constructor(
    @Inject(SLA_CORE) private readonly core: SlaCore,
    private readonly config: SlaEnv,
  ) {}

  async onModuleInit(): Promise<void> {
    const { calendars, policies, registry } = this.core;
    // Fixed ids and unique inserts: instances starting together seed once.
    await calendars
      .create({ id: DEFAULT_CALENDAR_ID, name: 'Default contract: Mon–Fri 08:00 America/New_York – 18:00 America/Los_Angeles, US federal holidays off', spec: defaultCalendarSpec() as unknown as Record<string, unknown> }, { builtin: true, quiet: true })
      .catch(ignoreExisting);
    await calendars
      .create({ id: EMERGENCY_CALENDAR_ID, name: 'Emergency hours: 24×7', spec: emergencyCalendarSpec() as unknown as Record<string, unknown> }, { builtin: true, quiet: true })
      .catch(ignoreExisting);
    await registry.refresh();
    await policies
      .create({ id: DEFAULT_POLICY_ID, name: 'Default contract' }, { isDefault: true, quiet: true })
      .catch(ignoreExisting);
    await registry.refresh();
  }

  async onApplicationBootstrap(): Promise<void> {
    const c = this.config;
    this.core.registry.start(c.SLADESK_SLA_REGISTRY_REFRESH_MS);
    this.core.outbox.start();
    await this.core.timers.start(c.SLADESK_SLA_CATCHUP_MAX_MS);
    this.core.recompute.start(this.core.clocks, 1000);
    this.logger.log(`timers: slot ${c.SLADESK_SLA_TIMER_SLOT_MS} ms, horizon ${c.SLADESK_SLA_TIMER_HORIZON_MS} ms, lease ${c.SLADESK_SLA_TIMER_LEASE_MS} ms`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.core.timers.stop();
    await this.core.recompute.stop();
    this.core.registry.stop();
    await this.core.outbox.stop();
  }
}
