import { AppError, AvailabilityQuery, AvailabilityReportView, ComponentView, CreateComponentRequest, ExclusionView, PutExclusionRequest, UpdateComponentCommand } from '@sladesk/contracts';
import { ServiceRuntime } from '@sladesk/messaging';
import { CROSS_ACCOUNT, Scope } from '@sladesk/persistence';
import { Counter, Histogram } from 'prom-client';
import { mongo } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { SlaOutbox } from '../outbox/sla-outbox';
import { TimerStore } from '../timers/timer-store';
import { AvailabilityEnv } from './availability.env';
import { AvailabilityTimers } from './availability-timers';
import { DEFAULT_COMPONENTS, toComponentView } from './components';
import { ComponentsService } from './components.service';
import { ExclusionDoc, LedgerService } from './ledger.service';
import { ProbeRunner } from './probes';
import { KnownAccounts, ReportService } from './report.service';

const YEAR_MS = 366 * 86_400_000;

const toExclusionView = (x: ExclusionDoc): ExclusionView => ({
  id: x._id,
  kind: x.kind,
  componentIds: x.componentIds,
  start: x.start.toISOString(),
  end: x.end.toISOString(),
  ...(x.reason ? { reason: x.reason } : {}),
  source: x.source,
  recordedAt: x.recordedAt.toISOString(),
});

/** The availability module of the sla service, wired once: components, ledger, report, timers, probes. */
export class Availability {
  readonly components: ComponentsService;
  readonly ledger: LedgerService;
  readonly report: ReportService;
  readonly accounts: KnownAccounts;
  readonly timers: AvailabilityTimers;
  readonly probes: ProbeRunner;

  constructor(
    db: mongo.Db,
    runtime: ServiceRuntime,
    outbox: SlaOutbox,
    private readonly config: AvailabilityEnv,
  ) {
    this.components = new ComponentsService(db, (c) => {
      this.probes.changed();
      void this.ledger.componentChanged(c).catch(() => undefined);
    });
    this.ledger = new LedgerService(db, this.components, outbox, config.SLADESK_AVAILABILITY_SETTLE_MS);
    this.accounts = new KnownAccounts(db);
    this.report = new ReportService(this.components, this.ledger, this.accounts);
    const fired = new Counter({ name: 'sladesk_availability_timers_fired_total', help: 'Availability timers fired (budget, restoration, month close, carry).', registers: [runtime.metrics.registry] });
    const lateness = new Histogram({
      name: 'sladesk_availability_timer_lateness_seconds',
      help: 'How late availability timers fired after their due time.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
      registers: [runtime.metrics.registry],
    });
    this.timers = new AvailabilityTimers(new TimerStore(db, config.SLADESK_SLA_TIMER_SLOT_MS, 'sla_avail_timer'), runtime.bus, (t) => this.ledger.fire(t), {
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
    this.ledger.timers = this.timers;
    this.probes = new ProbeRunner(db, this.components, runtime.bus, {
      owner: runtime.instanceId,
      leaseMs: config.SLADESK_AVAILABILITY_PROBE_LEASE_MS,
      tickMs: config.SLADESK_AVAILABILITY_PROBE_TICK_MS,
      refreshMs: config.SLADESK_AVAILABILITY_REFRESH_MS,
      concurrency: config.SLADESK_AVAILABILITY_PROBE_CONCURRENCY,
    });
  }

  /** The default contract's four components, by fixed ids (instances starting together seed once). */
  async seed(): Promise<void> {
    for (const c of DEFAULT_COMPONENTS) {
      await this.components.create(c, { builtin: true }).catch((e) => {
        if (!(e instanceof AppError && e.code === 'COMPONENT.ALREADY_EXISTS')) throw e;
      });
    }
  }

  async start(): Promise<void> {
    await this.timers.start(this.config.SLADESK_SLA_CATCHUP_MAX_MS);
    if (this.config.SLADESK_AVAILABILITY_PROBES) this.probes.start();
  }

  async stop(): Promise<void> {
    await this.probes.stop();
    await this.timers.stop();
  }

  createComponent(req: CreateComponentRequest): Promise<ComponentView> {
    return this.components.create(req);
  }

  updateComponent(cmd: UpdateComponentCommand): Promise<ComponentView> {
    return this.components.update(cmd);
  }

  /** A component with its probes' state and the error budget left now. */
  async getComponent(id: string, now = Date.now()): Promise<ComponentView> {
    const c = await this.components.get(id);
    return { ...toComponentView(c), probes: await this.probes.withState(c), errorBudget: await this.report.errorBudget(c, now) };
  }

  async putExclusion(req: PutExclusionRequest): Promise<ExclusionView> {
    const start = new Date(req.start);
    const end = new Date(req.end);
    if (!(end > start)) throw new AppError('EXCLUSION.INVALID', 'end must be after start', { start: req.start, end: req.end });
    if (end.getTime() - start.getTime() > YEAR_MS) throw new AppError('EXCLUSION.INVALID', 'an exclusion lasts at most a year');
    const id = req.id ?? randomUUID();
    const existing = await this.ledger.exclusions.findOne({ _id: id });
    if (existing?.source === 'maintenance') throw new AppError('EXCLUSION.INVALID', `exclusion ${id} comes from a maintenance window`);
    return toExclusionView(
      await this.ledger.putExclusion({ id, kind: req.kind, componentIds: req.componentIds, start, end, ...(req.reason ? { reason: req.reason } : {}), source: 'api' }, 'next'),
    );
  }

  async getExclusion(id: string): Promise<ExclusionView> {
    const x = await this.ledger.exclusions.findOne({ _id: id });
    if (!x) throw new AppError('EXCLUSION.NOT_FOUND', `Exclusion ${id} does not exist`);
    return toExclusionView(x);
  }

  /** One account's components and credits, or with CROSS_ACCOUNT every account's (staff). */
  monthly(scope: Scope, q: AvailabilityQuery): Promise<AvailabilityReportView> {
    return this.report.report(scope === CROSS_ACCOUNT ? q : { ...q, accountId: scope.accountId });
  }
}
