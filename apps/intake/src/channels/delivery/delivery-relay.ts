import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { Case } from '../../cases/case.schema';
import { IntakeEnv } from '../../config';
import { EmailSender } from '../email/email-sender';
import { IntercomClient } from '../intercom/intercom.client';
import { Delivery } from './delivery.schema';
import { PermanentDeliveryError } from './permanent-delivery.error';

const SWEEP_MS = 15_000;

/**
 * Sends the messages that case changes queued in their documents, head first per case, like the
 * outbox relay: a message leaves the queue only once sent, so a crash sends it again (at least once).
 * Failures are retried with backoff, then kept in the case's delivery log as failed.
 */
@Injectable()
export class DeliveryRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(
    @InjectModel(Case.name) private readonly cases: Model<Case>,
    private readonly email: EmailSender,
    private readonly intercom: IntercomClient,
    private readonly config: IntakeEnv,
  ) {}

  private update(filter: object, update: object) {
    return this.cases.updateOne(filter, update, { timestamps: false });
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.kick();
      // A sweep finds what a crash left behind; writes kick, and a failure schedules its retry.
      this.timer = setTimeout(tick, SWEEP_MS);
      this.timer.unref();
    };
    tick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((e) => this.logger.warn(`delivery pass failed, will retry: ${(e as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  async drain(now = new Date()): Promise<void> {
    const due = await this.cases
      .find({ 'deliveries.0.nextAttemptAt': mongoose.trusted({ $lte: now }) }, { deliveries: 1 })
      .limit(100)
      .lean<Pick<Case, '_id' | 'deliveries'>[]>();
    for (const doc of due) {
      for (const d of doc.deliveries) {
        if (d.nextAttemptAt > now || !(await this.attempt(doc._id, d))) break;
      }
    }
  }

  /** Sends one message; true when it left the queue (sent or given up). */
  private async attempt(caseId: string, d: Delivery): Promise<boolean> {
    const head = { _id: caseId, 'deliveries.0.id': d.id };
    const attempts = d.attempts + 1;
    try {
      if (d.email) await this.email.send(d.email);
      else if (d.intercom) await this.intercom.reply(d.intercom);
      else throw new PermanentDeliveryError('nothing to send');
      await this.update(head, {
        $pop: { deliveries: -1 },
        $push: {
          deliveryLog: {
            id: d.id,
            channel: d.channel,
            entrySeq: d.entrySeq,
            outcome: 'sent',
            at: new Date(),
            attempts,
          },
        },
      });
      return true;
    } catch (e) {
      const error = (e as Error).message.slice(0, 500);
      if (e instanceof PermanentDeliveryError || attempts >= this.config.SLADESK_DELIVERY_MAX_ATTEMPTS) {
        this.logger.error(
          `case ${caseId}: ${d.channel} message ${d.id} failed for good after ${attempts} attempt(s): ${error}`,
        );
        await this.update(head, {
          $pop: { deliveries: -1 },
          $push: {
            deliveryLog: {
              id: d.id,
              channel: d.channel,
              entrySeq: d.entrySeq,
              outcome: 'failed',
              at: new Date(),
              attempts,
              error,
            },
          },
        });
        return true;
      }
      const delay = this.config.SLADESK_DELIVERY_RETRY_MS * 2 ** (attempts - 1);
      setTimeout(() => this.kick(), delay + 10).unref();
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
