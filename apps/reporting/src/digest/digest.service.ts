import { DigestView } from '@sladesk/contracts';
import { SERVICE_RUNTIME, ServiceRuntime, SingleFlight } from '@sladesk/messaging';
import { isDuplicateKey } from '@sladesk/persistence';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Model, mongo } from 'mongoose';
import { ReportingEnv } from '../config';
import { ExportJobs } from '../exports/export-jobs.service';
import { RmStaff } from '../read-models/read-model.schemas';
import { monthEnd, monthStart, previousMonth } from '../reports/period';
import { DigestMail, Executive } from './digest-mail';
import { ReportDigest } from './digest.schema';

/** The calendar month `now` falls in, in a time zone. */
export function monthIn(timeZone: string, now: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(now);
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}

const toView = (d: ReportDigest): DigestView => ({
  month: d._id,
  state: d.state,
  ...(d.exportId ? { exportId: d.exportId } : {}),
  recipients: [...(d.mailed ?? [])].sort(),
  ...(d.generatedAt ? { generatedAt: new Date(d.generatedAt).toISOString() } : {}),
  ...(d.mailedAt ? { mailedAt: new Date(d.mailedAt).toISOString() } : {}),
  instance: d.instance,
});

/**
 * The monthly executive digest: on SLADESK_DIGEST_CRON (default the 1st at 07:00 America/New_York) the
 * previous month's digest is made once, however many instances run: the first to insert the claim
 * document keyed by the month makes it; the others see the claim and stop. The PDF is stored as an
 * export (published with `report.ready`) and mailed, as an attachment, to every active staff member with
 * the `executive` role, by `@sladesk/outbound` (`DigestMail`: one delivery per executive and month,
 * retried with backoff). A claim whose instance died (its lease ran out) before its mail was handed
 * over is finished by another one; the deliveries' ids keep any executive from being mailed twice.
 */
@Injectable()
export class DigestService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DigestService.name);
  private readonly retry: SingleFlight;
  private readonly leaseMs: number;

  constructor(
    @InjectModel(ReportDigest.name) private readonly digests: Model<ReportDigest>,
    @InjectModel(RmStaff.name) private readonly staff: Model<RmStaff>,
    private readonly exports: ExportJobs,
    private readonly mail: DigestMail,
    private readonly config: ReportingEnv,
    private readonly scheduler: SchedulerRegistry,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {
    this.leaseMs = Math.max(60_000, config.SLADESK_EXPORT_LEASE_MS * 2);
    // Finishes a digest left half-made (instance died; an outcome not recorded in the digest): a read by `_id`, once a minute.
    this.retry = new SingleFlight(() => this.resume(), { name: 'digest retry', intervalMs: 60_000, logger: this.logger });
  }

  private get col(): mongo.Collection<ReportDigest> {
    return this.digests.collection as unknown as mongo.Collection<ReportDigest>;
  }

  onApplicationBootstrap(): void {
    if (!this.config.SLADESK_DIGEST_ENABLED) return;
    const job = CronJob.from({ cronTime: this.config.SLADESK_DIGEST_CRON, timeZone: this.config.SLADESK_DIGEST_TIMEZONE, onTick: () => void this.tick(), start: true });
    this.scheduler.addCronJob('executive-digest', job as never);
    this.retry.start();
    this.logger.log(`executive digest scheduled "${this.config.SLADESK_DIGEST_CRON}" ${this.config.SLADESK_DIGEST_TIMEZONE}, next ${job.nextDate().toISO()}`);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.scheduler.doesExist('cron', 'executive-digest')) this.scheduler.deleteCronJob('executive-digest');
    await this.retry.stop();
    await this.running;
  }

  /** The month a digest made now covers: the one before the current month in the digest's time zone. */
  digestMonth(now = new Date()): string {
    return previousMonth(monthIn(this.config.SLADESK_DIGEST_TIMEZONE, now));
  }

  /** One digest at a time in this process: a tick while one is being made is skipped. */
  private running?: Promise<void>;

  tick(now = new Date()): Promise<void> {
    const month = this.digestMonth(now);
    return this.once(() => this.produce(month, now).catch((e) => this.logger.error(`digest ${month}: ${(e as Error).message}; retried within a minute`)));
  }

  private once(run: () => Promise<void>): Promise<void> {
    if (this.running) return this.running;
    this.running = run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async resume(): Promise<void> {
    const month = this.digestMonth();
    const d = await this.col.findOne({ _id: month });
    if (d && d.state !== 'mailed' && d.state !== 'failed') await this.once(() => this.produce(month));
  }

  async list(month?: string): Promise<DigestView[]> {
    if (month) {
      const d = await this.col.findOne({ _id: month });
      return d ? [toView(d)] : [];
    }
    return (await this.col.find({}).toArray()).map(toView).sort((a, b) => (a.month < b.month ? 1 : -1));
  }

  /** Makes, stores and publishes the digest of `month` and hands its mail to outbound, unless another instance has it. */
  async produce(month: string, now = new Date()): Promise<void> {
    const me = this.runtime.instanceId;
    let digest = await this.claim(month, me, now);
    if (!digest) return;
    if (!digest.exportId || digest.state === 'claimed') {
      const job = await this.exports.runNow({ report: 'sla-compliance', format: 'pdf', period: { from: monthStart(month), to: monthEnd(month), month }, purpose: 'digest', totalRows: 0 });
      if (job.state !== 'done') throw new Error(`the digest PDF failed: ${job.error ?? job.state}`);
      await this.col.updateOne({ _id: month, instance: me }, { $set: { exportId: job._id, state: 'generated', generatedAt: new Date() } });
      digest = (await this.col.findOne({ _id: month }))!;
      this.logger.log(`digest ${month}: PDF stored as export ${job._id} (${job.bytes} bytes), report.ready published`);
    }
    const executives = (await this.staff.collection.find({ roles: 'executive', active: true }).toArray()) as unknown as Executive[];
    await this.mail.handOver(digest, executives.sort((a, b) => (a._id < b._id ? -1 : 1)));
    this.logger.log(`digest ${month}: mail to ${executives.length} executive(s) handed to outbound`);
    await this.mail.reconcile(month);
  }

  /** The claim of `month` for this instance, or null (with the reason logged) when another has it or it is done. */
  private async claim(month: string, me: string, now: Date): Promise<ReportDigest | null> {
    const lease = new Date(now.getTime() + this.leaseMs);
    try {
      const fresh: ReportDigest = { _id: month, state: 'claimed', instance: me, claimedAt: now, leaseUntil: lease, mailed: [] };
      await this.col.insertOne(fresh);
      this.logger.log(`digest ${month}: claimed by ${me}`);
      return fresh;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    const d = await this.col.findOne({ _id: month });
    if (!d) return null;
    if (d.state === 'mailed' || d.state === 'failed') {
      this.logger.log(`digest ${month}: already made by ${d.instance}, nothing to do`);
      return null;
    }
    if (d.handedOver) {
      // Made; its mail is outbound's (which any instance takes over): only the record may lag behind.
      await this.mail.reconcile(month);
      return null;
    }
    if (d.instance !== me && d.leaseUntil > now) {
      this.logger.log(`digest ${month}: being made by ${d.instance}, nothing to do`);
      return null;
    }
    const res = await this.col.updateOne({ _id: month, instance: d.instance, leaseUntil: d.leaseUntil }, { $set: { instance: me, leaseUntil: lease } });
    if (!res.modifiedCount) return null;
    if (d.instance !== me) this.logger.warn(`digest ${month}: taken over from ${d.instance}`);
    return { ...d, instance: me, leaseUntil: lease };
  }
}
