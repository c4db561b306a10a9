import { SingleFlight } from '@sladesk/messaging';
import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { Case } from '../../cases/case.schema';
import { IntakeEnv } from '../../config';
import { EmailSender } from '../email/email-sender';
import { IntercomClient } from '../intercom/intercom.client';
import { Delivery, DeliveryLogEntry } from './delivery.schema';
import { PermanentDeliveryError } from './permanent-delivery.error';

/** The sweep for messages a crash left queued (writes and retries hand over their case at once). */
const SWEEP_MS = 60_000;

/**
 * Sends the messages that case changes queued in their documents, head first per case, like the
 * outbox relay: a message leaves the queue only once sent, so a crash sends it again (at least once).
 * Failures are retried with backoff, then recorded as failed. What became of every message is kept in
 * `case_deliveries`, outside the case document.
 *
 * Cost follows the work: a write hands over its case id (`kick(caseId)`), which is read by `_id`. The
 * only query over all cases is the sweep every 60 s that picks up what a crash left behind (indexed
 * on MongoDB; a scan on FerretDB, hence the slow interval).
 */
@Injectable()
export class DeliveryRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryRelay.name);
  private readonly dueCases = new Set<string>();
  private readonly pass = new SingleFlight(() => this.drain(), { name: 'delivery', intervalMs: SWEEP_MS, logger: this.logger });
  private sweepNext = true;
  private stopped = true;

  constructor(
    @InjectModel(Case.name) private readonly cases: Model<Case>,
    @InjectModel(DeliveryLogEntry.name) private readonly log: Model<DeliveryLogEntry>,
    private readonly email: EmailSender,
    private readonly intercom: IntercomClient,
    private readonly config: IntakeEnv,
  ) {}

  private update(filter: object, update: object) {
    return this.cases.updateOne(filter, update, { timestamps: false });
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.pass.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.pass.stop();
  }

  /** A change queued messages in this case (or, without an id, look at every case). */
  kick(caseId?: string): void {
    if (this.stopped) return;
    if (caseId) this.dueCases.add(caseId);
    else this.sweepNext = true;
    this.pass.kick();
  }

  async drain(now = new Date()): Promise<void> {
    const ids = [...this.dueCases];
    this.dueCases.clear();
    if (this.sweepNext || ids.length === 0) {
      this.sweepNext = false;
      const swept = await this.cases
        .find({ 'deliveries.nextAttemptAt': mongoose.trusted({ $lte: now }) }, { _id: 1 })
        .limit(500)
        .lean<Pick<Case, '_id'>[]>();
      ids.push(...swept.map((d) => d._id));
    }
    for (const id of new Set(ids)) {
      const doc = await this.cases.findById(id, { deliveries: 1 }).lean<Pick<Case, '_id' | 'deliveries'>>();
      for (const d of doc?.deliveries ?? []) {
        if (d.nextAttemptAt > now || !(await this.attempt(id, d))) break;
      }
    }
  }

  private async record(caseId: string, d: Delivery, outcome: 'sent' | 'failed', attempts: number, error?: string) {
    await this.log
      .updateOne(
        { _id: d.id },
        { $setOnInsert: { caseId, channel: d.channel, entrySeq: d.entrySeq, outcome, at: new Date(), attempts, ...(error ? { error } : {}) } },
        { upsert: true },
      )
      .catch((e) => {
        if (!isDuplicateKey(e)) throw e;
      });
  }

  /** Sends one message; true when it left the queue (sent or given up). */
  private async attempt(caseId: string, d: Delivery): Promise<boolean> {
    const head = { _id: caseId, 'deliveries.0.id': d.id };
    const attempts = d.attempts + 1;
    try {
      if (d.email) await this.email.send(d.email);
      else if (d.intercom) await this.intercom.reply(d.intercom);
      else throw new PermanentDeliveryError('nothing to send');
      await this.record(caseId, d, 'sent', attempts);
      await this.update(head, { $pop: { deliveries: -1 } });
      return true;
    } catch (e) {
      const error = (e as Error).message.slice(0, 500);
      if (e instanceof PermanentDeliveryError || attempts >= this.config.SLADESK_DELIVERY_MAX_ATTEMPTS) {
        this.logger.error(
          `case ${caseId}: ${d.channel} message ${d.id} failed for good after ${attempts} attempt(s): ${error}`,
        );
        await this.record(caseId, d, 'failed', attempts, error);
        await this.update(head, { $pop: { deliveries: -1 } });
        return true;
      }
      const delay = this.config.SLADESK_DELIVERY_RETRY_MS * 2 ** (attempts - 1);
      setTimeout(() => this.kick(caseId), delay + 10).unref();
      this.logger.warn(
        `case ${caseId}: ${d.channel} message ${d.id} attempt ${attempts} failed (${error}); retry in ${delay} ms`,
      );
      await this.update(head, {
        $set: {
          'deliveries.0.attempts': attempts,
          'deliveries.0.nextAttemptAt': new Date(Date.now() + delay),
          'deliveries.0.lastError': error,
        },
      });
      return false;
    }
  }
}
