import { Outbound, PermanentDeliveryError } from '@sladesk/outbound';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { createHash } from 'node:crypto';
import { ExportJobs } from '../exports/export-jobs.service';
import { ReportDigest } from './digest.schema';

/** The outbound topic of the digest mail. */
export const DIGEST_TOPIC = 'report.digest';

/** The delivery of `month`'s digest to one executive: the same month and staff member, the same id, from any instance. */
export const digestDeliveryId = (month: string, staffId: string): string =>
  `dgm_${createHash('sha256').update(`${month}\u0000${staffId}`).digest('base64url').slice(0, 27)}`;

export interface Executive {
  _id: string;
  name: string;
  email: string;
}

const EXPORT_REF = 'export:';

/**
 * The digest's mail, sent by `@sladesk/outbound` (topic `report.digest`): one delivery per executive
 * and month (`digestDeliveryId`), so a repeated hand-over — a takeover, a restart, the other instance —
 * finds the deliveries instead of making others; outbound retries a refused one with backoff. The PDF
 * is not copied into the deliveries: each names the stored export (`export:<id>`) and is read from its
 * chunks at each attempt (`attachment` hook). What became of each mail is derived from the deliveries'
 * states into the digest document (`reconcile`), when outbound reports the last word (`settled`) and,
 * since that report is lost if the process dies first, whenever the digest is looked at again.
 *
 * No outcome event: the notices report counts `…sent|failed` subjects as customer and staff notices
 * (maintenance, advisories, escalations), and a digest is neither; its record is `report_digests`.
 */
@Injectable()
export class DigestMail implements OnModuleInit {
  private readonly logger = new Logger(DigestMail.name);
  /** The PDF being mailed (one digest at a time, to a few executives): read once per process, not per recipient. */
  private file?: { ref: string; bytes: Promise<Buffer> };

  constructor(
    @InjectModel(ReportDigest.name) private readonly digests: Model<ReportDigest>,
    private readonly outbound: Outbound,
    private readonly exports: ExportJobs,
  ) {}

  private get col(): mongo.Collection<ReportDigest> {
    return this.digests.collection as unknown as mongo.Collection<ReportDigest>;
  }

  onModuleInit(): void {
    this.outbound.handle(DIGEST_TOPIC, {
      attachment: (ref) => this.pdf(ref),
      settled: async (d, outcome) => {
        if (outcome.delivered) this.logger.log(`digest ${d.refs?.month}: mailed to ${d.refs?.staffId} (attempt ${outcome.attempts})`);
        else this.logger.error(`digest ${d.refs?.month}: the mail to ${d.refs?.staffId} failed for good after ${outcome.attempts} attempt(s): ${outcome.error}`);
        if (d.refs?.month) await this.reconcile(d.refs.month);
      },
      event: () => null,
    });
  }

  /** Hands the digest's mail to outbound, one delivery per executive (those already handed over are found, not made again). */
  async handOver(digest: ReportDigest, executives: Executive[]): Promise<void> {
    const month = digest._id;
    const filename = `sladesk-executive-digest-${month}.pdf`;
    await this.outbound.enqueue({
      noticeId: `digest:${month}`,
      topic: DIGEST_TOPIC,
      // The set of executives names the call: a takeover that finds another set writes its own batch.
      batchKey: `digest:${month}:${executives.map((e) => e._id).join(',')}`,
      messages: executives.map((e) => ({
        id: digestDeliveryId(month, e._id),
        channel: 'email' as const,
        to: e.email,
        toName: e.name,
        subject: `SLA Desk executive digest ${month}`,
        text: `Hello ${e.name},\n\nattached is the SLA Desk executive digest for ${month}: SLA compliance, breaches by clause, escalations, notices and availability.\n\nSLA Desk`,
        attachments: [{ filename, contentType: 'application/pdf', ref: `${EXPORT_REF}${digest.exportId}` }],
        refs: { month, staffId: e._id, exportId: digest.exportId! },
      })),
    });
    await this.col.updateOne({ _id: month }, { $addToSet: { executives: { $each: executives.map((e) => e._id) } }, $set: { handedOver: true } });
  }

  /**
   * Records what became of the digest's mails, from their deliveries: who was mailed, whose mail failed
   * for good; once none is pending, the digest is `mailed` (or `failed`, if any failed). Repeating it
   * changes nothing; any instance may run it.
   */
  async reconcile(month: string): Promise<void> {
    const d = await this.col.findOne({ _id: month });
    if (!d?.handedOver || d.state === 'mailed' || d.state === 'failed') return;
    const ids = d.executives ?? [];
    const states = await Promise.all(ids.map(async (id) => ({ id, d: await this.outbound.findById(digestDeliveryId(month, id)) })));
    const mailed = states.filter((s) => s.d?.state === 'sent').map((s) => s.id);
    const failed = states.filter((s) => s.d?.state === 'failed' || s.d?.state === 'cancelled').map((s) => s.id);
    if (mailed.length || failed.length) await this.col.updateOne({ _id: month }, { $addToSet: { mailed: { $each: mailed }, failed: { $each: failed } } });
    if (mailed.length + failed.length < ids.length) return;
    const done = await this.col.updateOne({ _id: month, state: { $nin: ['mailed', 'failed'] } }, { $set: { state: failed.length ? 'failed' : 'mailed', mailedAt: new Date() } });
    if (done.modifiedCount !== 1) return;
    if (failed.length) this.logger.error(`digest ${month}: done, mailed to ${mailed.length} executive(s); failed for good to ${failed.join(', ')} (see outbound_deliveries)`);
    else this.logger.log(`digest ${month}: done, mailed to ${mailed.length} executive(s)`);
  }

  /** The stored PDF an attachment names; a digest export that is gone fails the mail for good. */
  private pdf(ref: string): Promise<Buffer> {
    if (!ref.startsWith(EXPORT_REF)) return Promise.reject(new PermanentDeliveryError(`unknown attachment ${ref}`));
    if (this.file?.ref !== ref) {
      const bytes = this.read(ref.slice(EXPORT_REF.length));
      this.file = { ref, bytes };
      // A failed read is not kept: the retry reads again.
      bytes.catch(() => (this.file?.bytes === bytes ? (this.file = undefined) : undefined));
    }
    return this.file.bytes;
  }

  private async read(exportId: string): Promise<Buffer> {
    try {
      const job = await this.exports.get(CROSS_ACCOUNT, exportId);
      const parts: Buffer[] = [];
      for (let n = 0; n < (job.chunks ?? 0); n++) parts.push(Buffer.from((await this.exports.chunk(CROSS_ACCOUNT, exportId, n)).data, 'base64'));
      return Buffer.concat(parts);
    } catch (e) {
      if ((e as { code?: string }).code === 'EXPORT.NOT_FOUND') throw new PermanentDeliveryError(`the digest PDF (export ${exportId}) is gone`);
      throw e;
    }
  }
}
