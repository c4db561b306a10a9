import { AppError, CreateExportRequest, Events, ExportChunk, ExportJobView, ReportFormat, ReportKind, ReportPeriod } from '@sladesk/contracts';
import { OutboxRelay, outboxEvent, SERVICE_RUNTIME, ServiceRuntime, SingleFlight } from '@sladesk/messaging';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { CROSS_ACCOUNT, Scope, visibleTo } from '@sladesk/persistence';
import { Model, mongo } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { ReportingEnv } from '../config';
import { Progress } from '../render/streams';
import { resolvePeriod } from '../reports/period';
import { ReportDoc } from '../reports/report-doc';
import { checkFormat, CONTENT_TYPES, filenameOf, ReportsService } from '../reports/reports.service';
import { ChunkSink } from './chunk-sink';
import { ReportExport, ReportExportChunk } from './export.schema';

/** The chunks of one attempt at writing an export's file: `<exportId>#<attempt>:<n>`. */
const fileKey = (id: string, attempt: number) => `${id}#${attempt}`;

export function toExportView(j: ReportExport): ExportJobView {
  const percent = j.state === 'done' ? 100 : j.totalRows > 0 ? Math.min(99, Math.floor((100 * j.rows) / j.totalRows)) : 0;
  return {
    id: j._id,
    report: j.report,
    format: j.format,
    period: { from: j.from, to: j.to, ...(j.month ? { month: j.month } : {}) },
    ...(j.accountId ? { accountId: j.accountId } : {}),
    state: j.state,
    rows: j.rows,
    totalRows: j.state === 'done' ? j.rows : j.totalRows,
    percent,
    contentType: j.contentType,
    filename: j.filename,
    ...(j.bytes !== undefined ? { bytes: j.bytes } : {}),
    ...(j.chunks !== undefined ? { chunks: j.chunks } : {}),
    ...(j.sha256 ? { sha256: j.sha256 } : {}),
    ...(j.error ? { error: j.error } : {}),
    createdAt: new Date(j.createdAt).toISOString(),
    ...(j.startedAt ? { startedAt: new Date(j.startedAt).toISOString() } : {}),
    ...(j.finishedAt ? { finishedAt: new Date(j.finishedAt).toISOString() } : {}),
    downloadPath: `/v1/exports/${j._id}/download`,
  };
}

export interface ExportSpec {
  report: ReportKind;
  format: ReportFormat;
  period: ReportPeriod;
  accountId?: string;
  purpose?: 'export' | 'digest';
  totalRows: number;
}

/**
 * Exports written in the background, whatever their size: the file goes to chunk documents as it is
 * rendered from cursors (memory stays at about one chunk), progress is saved and logged, and a finished
 * export announces itself with `report.ready`. Any instance runs queued exports; one whose instance
 * stopped renewing its lease is taken over and written again as a new attempt.
 */
@Injectable()
export class ExportJobs implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ExportJobs.name);
  private readonly loop: SingleFlight;

  constructor(
    @InjectModel(ReportExport.name) private readonly exports: Model<ReportExport>,
    @InjectModel(ReportExportChunk.name) private readonly chunks: Model<ReportExportChunk>,
    private readonly reports: ReportsService,
    private readonly relay: OutboxRelay,
    private readonly config: ReportingEnv,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
  ) {
    this.loop = new SingleFlight(() => this.pass(), { name: 'export jobs', intervalMs: config.SLADESK_EXPORT_SWEEP_MS, logger: this.logger });
  }

  onModuleInit(): void {
    this.relay.register(this.exports);
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.loop.stop();
  }

  private get col(): mongo.Collection<ReportExport> {
    return this.exports.collection as unknown as mongo.Collection<ReportExport>;
  }

  async create(req: CreateExportRequest, now = new Date()): Promise<ExportJobView> {
    const format = checkFormat(req.report, req.format);
    const period = resolvePeriod(req, now);
    const doc = await this.reports.build(req.report, period, req.accountId, false, now);
    return this.enqueue({ report: req.report, format, period, accountId: req.accountId, totalRows: doc.expectedRows }, now);
  }

  private newJob(spec: ExportSpec, now: Date): ReportExport {
    return {
      _id: randomUUID(),
      report: spec.report,
      format: spec.format,
      from: spec.period.from,
      to: spec.period.to,
      ...(spec.period.month ? { month: spec.period.month } : {}),
      ...(spec.accountId ? { accountId: spec.accountId } : {}),
      purpose: spec.purpose ?? 'export',
      state: 'queued',
      rows: 0,
      totalRows: spec.totalRows,
      contentType: CONTENT_TYPES[spec.format],
      filename: filenameOf(spec.purpose === 'digest' ? ('executive-digest' as ReportKind) : spec.report, spec.period, spec.accountId, spec.format),
      chunksWritten: 0,
      attempts: 0,
      createdAt: now,
      outbox: [],
    };
  }

  async enqueue(spec: ExportSpec, now = new Date()): Promise<ExportJobView> {
    const job = this.newJob(spec, now);
    await this.col.insertOne(job);
    this.logger.log(`export ${job._id} queued: ${job.report} ${job.format} ${job.from}..${job.to}${job.accountId ? ` account ${job.accountId}` : ''}, about ${job.totalRows} rows`);
    this.loop.kick();
    return toExportView(job);
  }

  /**
   * Writes an export now, in this process (the digest), and resolves with it finished. Should this
   * process die meanwhile, the sweep takes the export over once its lease runs out.
   */
  async runNow(spec: ExportSpec, now = new Date()): Promise<ReportExport> {
    const job: ReportExport = {
      ...this.newJob(spec, now),
      state: 'running',
      attempts: 1,
      owner: this.runtime.instanceId,
      leaseUntil: new Date(now.getTime() + this.config.SLADESK_EXPORT_LEASE_MS),
      startedAt: now,
    };
    await this.col.insertOne(job);
    await this.run(job);
    return this.find(job._id);
  }

  /** A report rendered in memory that turned out too big for one reply: stored as a finished export. */
  async storeRendered(doc: ReportDoc, format: ReportFormat, data: Buffer, rows: number, now = new Date()): Promise<ExportJobView> {
    const id = randomUUID();
    const sink = new ChunkSink(this.chunks.collection, fileKey(id, 1));
    await new Promise<void>((resolve, reject) => sink.end(data, () => resolve()).once('error', reject));
    const job: ReportExport = {
      _id: id,
      report: doc.report,
      format,
      from: doc.period.from,
      to: doc.period.to,
      ...(doc.period.month ? { month: doc.period.month } : {}),
      ...(doc.accountId ? { accountId: doc.accountId } : {}),
      purpose: 'export',
      state: 'done',
      rows,
      totalRows: rows,
      contentType: CONTENT_TYPES[format],
      filename: filenameOf(doc.report, doc.period, doc.accountId, format),
      bytes: sink.bytes,
      chunks: sink.chunks,
      chunksWritten: sink.chunks,
      sha256: sink.sha256,
      attempts: 1,
      createdAt: now,
      startedAt: now,
      finishedAt: new Date(),
      outbox: [],
    };
    job.outbox = [this.readyEvent(job)];
    await this.col.insertOne({ ...job, outboxPendingSince: new Date() } as ReportExport);
    this.relay.published(this.exports, id);
    return toExportView(job);
  }

  async get(scope: Scope, id: string): Promise<ExportJobView> {
    return toExportView(await this.find(id, scope));
  }

  /**
   * By `_id`. For an account-scoped caller another account's export — or one across accounts (no
   * `accountId`: every account's rows, or a digest) — is not found, as a missing one.
   */
  async find(id: string, scope: Scope = CROSS_ACCOUNT): Promise<ReportExport> {
    const job = visibleTo(scope, await this.col.findOne({ _id: id }));
    if (!job) throw new AppError('EXPORT.NOT_FOUND', `No export ${id}`);
    return job;
  }

  async chunk(scope: Scope, id: string, n: number): Promise<ExportChunk> {
    const job = await this.find(id, scope);
    if (job.state !== 'done') throw new AppError('EXPORT.NOT_READY', `Export ${id} is ${job.state}`, { state: job.state, rows: job.rows });
    if (n >= (job.chunks ?? 0)) throw new AppError('EXPORT.NOT_FOUND', `Export ${id} has ${job.chunks} chunks, no chunk ${n}`);
    const chunk = await this.chunks.collection.findOne({ _id: `${fileKey(id, job.attempts)}:${n}` as never });
    if (!chunk) throw new AppError('EXPORT.NOT_FOUND', `Chunk ${n} of export ${id} is missing`);
    const data = chunk.data as mongo.Binary | Buffer;
    return { n, data: Buffer.from(data instanceof mongo.Binary ? data.buffer : data).toString('base64'), last: n === (job.chunks ?? 0) - 1 };
  }

  private async pass(): Promise<void> {
    await this.expire();
    // A bounded background sweep over the (small) exports collection, every SLADESK_EXPORT_SWEEP_MS.
    const now = new Date();
    const open = await this.col.find({ state: { $in: ['queued', 'running'] } }).toArray();
    for (const job of open) {
      if (job.state === 'running' && job.leaseUntil && job.leaseUntil > now) continue;
      const claimed = await this.claim(job, now);
      if (claimed) await this.run(claimed);
    }
  }

  private async claim(job: ReportExport, now: Date): Promise<ReportExport | null> {
    if (job.state === 'done' || job.state === 'failed') return null;
    if (job.state === 'running' && job.leaseUntil && job.leaseUntil > now) return null;
    const res = await this.col.findOneAndUpdate(
      { _id: job._id, attempts: job.attempts, state: job.state },
      { $set: { state: 'running', owner: this.runtime.instanceId, leaseUntil: new Date(now.getTime() + this.config.SLADESK_EXPORT_LEASE_MS), startedAt: now, rows: 0 }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    );
    const claimed = (res as unknown as ReportExport | null) ?? null;
    if (claimed && job.state === 'running') this.logger.warn(`export ${job._id}: taken over from ${job.owner} (its lease ran out), written again`);
    return claimed;
  }

  private async run(job: ReportExport): Promise<void> {
    const id = job._id;
    const attempt = job.attempts;
    const mine = { _id: id, attempts: attempt };
    const label = `export ${id} (${job.report} ${job.format}${job.purpose === 'digest' ? ', digest' : ''})`;
    this.logger.log(`${label}: attempt ${attempt} started on ${this.runtime.instanceId}`);
    const renew = setInterval(() => {
      void this.col.updateOne(mine, { $set: { leaseUntil: new Date(Date.now() + this.config.SLADESK_EXPORT_LEASE_MS) } }).catch(() => undefined);
    }, Math.max(500, Math.floor(this.config.SLADESK_EXPORT_LEASE_MS / 3)));
    let lastLog = Date.now();
    const progress = new Progress(async (rows) => {
      await this.col.updateOne(mine, { $set: { rows } });
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        this.logger.log(`${label}: ${rows} of about ${job.totalRows} rows`);
      }
    });
    const sink = new ChunkSink(this.chunks.collection, fileKey(id, attempt));
    try {
      const period = { from: job.from, to: job.to, ...(job.month ? { month: job.month } : {}) };
      const doc = job.purpose === 'digest' ? await this.reports.digest(period) : await this.reports.build(job.report, period, job.accountId, false);
      await this.reports.render(doc, job.format, sink, progress, false);
      if (!sink.writableFinished) await new Promise<void>((resolve, reject) => sink.once('finish', resolve).once('error', reject));
      const done: Partial<ReportExport> = { state: 'done', rows: progress.rows, bytes: sink.bytes, chunks: sink.chunks, chunksWritten: sink.chunks, sha256: sink.sha256, finishedAt: new Date() };
      const event = this.readyEvent({ ...job, ...done } as ReportExport);
      const res = await this.col.updateOne(mine, { $set: { ...done, outboxPendingSince: new Date() }, $push: { outbox: event } });
      if (res.modifiedCount) {
        this.relay.published(this.exports, id);
        this.logger.log(`${label}: done, ${progress.rows} rows, ${sink.bytes} bytes in ${sink.chunks} chunks`);
        for (let a = 1; a < attempt; a++) await this.deleteChunks(fileKey(id, a));
      } else {
        this.logger.warn(`${label}: attempt ${attempt} was taken over; its file is discarded`);
        await this.deleteChunks(fileKey(id, attempt));
      }
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      this.logger.error(`${label}: failed: ${message}`);
      await this.col.updateOne(mine, { $set: { state: 'failed', error: message.slice(0, 1000), finishedAt: new Date() } });
      sink.destroy();
      await this.deleteChunks(fileKey(id, attempt));
    } finally {
      clearInterval(renew);
    }
  }

  private readyEvent(job: ReportExport) {
    return outboxEvent(Events.ReportReady, {
      exportId: job._id,
      report: job.report,
      format: job.format,
      from: job.from,
      to: job.to,
      ...(job.accountId ? { accountId: job.accountId } : {}),
      purpose: job.purpose,
      rows: job.rows,
      bytes: job.bytes ?? 0,
      sha256: job.sha256 ?? '',
      filename: job.filename,
      downloadPath: `/v1/exports/${job._id}/download`,
      at: (job.finishedAt ?? new Date()).toISOString(),
    });
  }

  /** Chunks are numbered from 0 without gaps: delete by `_id` until one is missing. */
  private async deleteChunks(key: string): Promise<void> {
    for (let n = 0; ; n++) {
      const res = await this.chunks.collection.deleteOne({ _id: `${key}:${n}` as never });
      if (!res.deletedCount) return;
    }
  }

  /** Exports older than SLADESK_EXPORT_KEEP_DAYS go, files first (the monthly digests' records stay in report_digests). */
  private async expire(now = Date.now()): Promise<void> {
    const before = new Date(now - this.config.SLADESK_EXPORT_KEEP_DAYS * 86_400_000);
    const old = await this.col.find({ createdAt: { $lt: before }, state: { $in: ['done', 'failed'] }, purpose: { $ne: 'digest' } }, { projection: { _id: 1, attempts: 1 } }).toArray();
    for (const job of old) {
      for (let a = 1; a <= job.attempts; a++) await this.deleteChunks(fileKey(job._id, a));
      await this.col.deleteOne({ _id: job._id });
    }
  }
}
