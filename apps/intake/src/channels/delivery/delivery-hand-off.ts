import { SingleFlight } from '@sladesk/messaging';
import { Delivery as OutboundDelivery, Outbound, OutboundMessage, SettledOutcome } from '@sladesk/outbound';
import { isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { Case } from '../../cases/case.schema';
import { IntakeEnv } from '../../config';
import { Delivery, DeliveryLogEntry, OutgoingEmail, OutgoingIntercomReply } from './delivery.schema';

/** The outbound topic of every message intake sends to a customer. */
export const REPLY_TOPIC = 'intake.reply';
/** The sweep for cases whose head a crash left unhanded or unsettled (changes and outcomes hand over their case at once). */
const SWEEP_MS = 60_000;
/** Heads one pass may settle in one case before it leaves the rest to the next pass. */
const HEADS_PER_PASS = 32;

type CaseHeads = Pick<Case, '_id' | 'accountId' | 'number' | 'subject' | 'deliveries'>;

const plainText = (html: string) =>
  html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p>/gi, '\n\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/**
 * Hands the messages that case changes queued in their documents to `@sladesk/outbound`, one case's
 * head at a time: a message leaves the case's queue only once outbound has the last word on it (sent,
 * or failed for good), and only then is the next one handed over — so a reply never overtakes the
 * receipt or an earlier reply, and a failing head holds the case's later messages while outbound
 * retries it.
 *
 * The case document stays the durable hand-off (the change that queues a message is one
 * single-document write with its timeline entry). Handing over is idempotent: the outbound delivery's
 * `_id` is the queued message's id, so a repeated hand-off (after a crash, from a second instance, by
 * the sweep) finds it instead of making another; a head found already settled in outbound is recorded
 * and popped. What became of each message is kept in `case_deliveries` (keyed by the message id,
 * written once) before it is popped; intake publishes no outcome event for it (reporting's notices
 * report counts `…sent|failed` subjects as customer notices, which replies are not).
 *
 * At least once: a process killed between the mail server's (or Intercom's) accept and outbound's
 * record sends that one message again after outbound's lease (intake allows one message at a time in
 * that window, SLADESK_OUTBOUND_MAX_UNRECORDED = 1); a resent mail carries the same Message-ID.
 */
@Injectable()
export class DeliveryHandOff implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryHandOff.name);
  private readonly dueCases = new Set<string>();
  private readonly pass = new SingleFlight(() => this.drain(), { name: 'delivery hand-off', intervalMs: SWEEP_MS, logger: this.logger });
  private sweepNext = true;
  private stopped = true;

  constructor(
    @InjectModel(Case.name) private readonly cases: Model<Case>,
    @InjectModel(DeliveryLogEntry.name) private readonly log: Model<DeliveryLogEntry>,
    private readonly outbound: Outbound,
    private readonly config: IntakeEnv,
  ) {}

  onModuleInit(): void {
    this.outbound.handle(REPLY_TOPIC, {
      // A message the case no longer queues (its contact was erased) is not sent.
      stillWanted: async (d) => !!(await this.cases.exists({ _id: caseIdOf(d), 'deliveries.id': d._id })),
      settled: async (d, outcome) => {
        const caseId = caseIdOf(d);
        await this.settle(caseId, { id: d._id, channel: channelOf(d), entrySeq: Number(d.refs?.entrySeq ?? 0) }, outcome);
        this.kick(caseId);
      },
      event: () => null,
    });
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.pass.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.pass.stop();
  }

  /** A change queued messages in this case, or its head settled (without an id: look at every case). */
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
      if (this.stopped) return;
      await this.handOver(id).catch((e) => this.logger.warn(`case ${id}: handing over its next message failed (${(e as Error).message}); the sweep tries again`));
    }
  }

  /** Hands the case's head to outbound, or, if outbound already settled it, records and pops it and looks at the next. */
  private async handOver(caseId: string): Promise<void> {
    for (let i = 0; i < HEADS_PER_PASS; i++) {
      const c = await this.cases.findById(caseId, { accountId: 1, number: 1, subject: 1, deliveries: 1 }).lean<CaseHeads>();
      const head = c?.deliveries?.[0];
      if (!c || !head) return;
      if (!head.email && !head.intercom) {
        await this.settle(caseId, head, { delivered: false, at: new Date(), attempts: 0, error: 'nothing to send' });
        continue;
      }
      const known = await this.outbound.findById(head.id);
      if (!known) {
        await this.outbound.enqueue({ noticeId: `case:${caseId}`, topic: REPLY_TOPIC, batchKey: `intake:${head.id}`, messages: [this.messageOf(c, head)] });
        return;
      }
      if (known.state === 'pending') return; // outbound is at it: its `settled` hook (or the next sweep) moves on
      if (known.state === 'cancelled') {
        await this.pop(caseId, head.id);
        continue;
      }
      await this.settle(caseId, head, {
        delivered: known.state === 'sent',
        at: known.sentAt ?? known.lastAttemptAt ?? new Date(),
        attempts: known.attempts,
        ...(known.lastError && known.state === 'failed' ? { error: known.lastError } : {}),
      });
    }
    this.kick(caseId);
  }

  /** The outcome first (once, keyed by the message id), then the head leaves the queue (only if it still is the head). */
  private async settle(caseId: string, head: Pick<Delivery, 'id' | 'channel' | 'entrySeq'>, o: SettledOutcome): Promise<void> {
    await this.log
      .updateOne(
        { _id: head.id },
        {
          $setOnInsert: {
            caseId,
            channel: head.channel,
            entrySeq: head.entrySeq,
            outcome: o.delivered ? 'sent' : 'failed',
            at: o.at,
            attempts: o.attempts,
            ...(o.error ? { error: o.error } : {}),
          },
        },
        { upsert: true },
      )
      .catch((e) => {
        if (!isDuplicateKey(e)) throw e;
      });
    if (!o.delivered) this.logger.error(`case ${caseId}: ${head.channel} message ${head.id} failed for good after ${o.attempts} attempt(s): ${o.error ?? ''}`);
    await this.pop(caseId, head.id);
  }

  private pop(caseId: string, id: string) {
    return this.cases.updateOne({ _id: caseId, 'deliveries.0.id': id }, { $pop: { deliveries: -1 } }, { timestamps: false });
  }

  private messageOf(c: CaseHeads, d: Delivery): OutboundMessage {
    const refs = { caseId: c._id, entrySeq: String(d.entrySeq), channel: d.channel };
    if (d.email) {
      const e: OutgoingEmail = d.email;
      return {
        id: d.id,
        channel: 'email',
        to: e.to,
        from: this.config.supportFrom,
        messageId: e.messageId,
        subject: e.subject,
        text: e.text,
        ...(e.inReplyTo ? { headers: { 'In-Reply-To': e.inReplyTo, References: (e.references?.length ? e.references : [e.inReplyTo]).join(' ') } } : {}),
        accountId: c.accountId,
        refs,
      };
    }
    if (d.intercom) {
      const r: OutgoingIntercomReply = d.intercom;
      return {
        id: d.id,
        channel: 'intercom-reply',
        to: r.conversationId,
        // None: outbound's SLADESK_INTERCOM_ADMIN_ID, or a failure for good if that is unset too.
        ...(r.adminId ? { from: r.adminId } : {}),
        subject: `Re: [Case #${c.number}] ${c.subject}`,
        text: plainText(r.body),
        html: r.body,
        accountId: c.accountId,
        refs,
      };
    }
    throw new Error(`message ${d.id} has nothing to send`);
  }
}

const caseIdOf = (d: OutboundDelivery): string => d.refs?.caseId ?? d.noticeId.replace(/^case:/, '');
const channelOf = (d: OutboundDelivery): Delivery['channel'] => (d.refs?.channel === 'intercom' || d.channel === 'intercom-reply' ? 'intercom' : 'email');
