import { BACKGROUND_SCAN_SHARE, pacedInterval, SingleFlight } from '@sladesk/messaging';
import { Delivery as OutboundDelivery, Outbound, OutboundMessage, SettledOutcome } from '@sladesk/outbound';
import { DueBucketSchema, DueEntry, DueIndex, isDuplicateKey } from '@sladesk/persistence';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { Case } from '../../cases/case.schema';
import { IntakeEnv } from '../../config';
import { Delivery, DeliveryLogEntry, OutgoingEmail, OutgoingIntercomReply } from './delivery.schema';

/** The outbound topic of every message intake sends to a customer. */
export const REPLY_TOPIC = 'intake.reply';
/**
 * How soon a case whose head a crash left unhanded or unsettled is looked at again (changes and
 * outcomes hand over their case at once): every change that queues a message first schedules its
 * case in a due index (`intake_due`, read by `_id`), due this much later, and a case still queueing
 * when it is due is scheduled again.
 */
const RECHECK_MS = 60_000;
/**
 * The full sweep (a scan of `cases` on FerretDB), for queues no due entry names (written before the
 * index existed): at this interval, longer once a sweep takes more than 1 % of it, and counted across
 * restarts (a `meta:` document in `intake_keys`), so a restarted intake does not read every case again (at 100,000 cases a
 * sweep keeps FerretDB busy for minutes). The first start on a database sweeps at once.
 */
const FULL_SWEEP_MS = 15 * 60_000;
const SWEEP_MARK = 'meta:delivery-full-sweep';
interface SweepMark {
  _id: string;
  at: Date;
  tookMs: number;
}
/** Heads one pass may settle in one case before it leaves the rest to the next pass. */
const HEADS_PER_PASS = 32;

/** The due index of cases that queue messages (see DeliveryHandOff.expect). */
export const INTAKE_DUE = 'IntakeDueBucket';
export const IntakeDueBucketSchema = DueBucketSchema.clone().set('collection', 'intake_due');

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
  private readonly pass = new SingleFlight(() => this.drain(), { name: 'delivery hand-off', intervalMs: RECHECK_MS / 4, logger: this.logger });
  private readonly heads: DueIndex;
  private lastFullSweep = 0;
  /** How long the last full sweep's query took: the next waits long enough to keep it to BACKGROUND_SCAN_SHARE of the time. */
  private lastFullSweepTook = 0;
  private lastDueRead = 0;
  private stopped = true;

  constructor(
    @InjectModel(Case.name) private readonly cases: Model<Case>,
    @InjectModel(DeliveryLogEntry.name) private readonly log: Model<DeliveryLogEntry>,
    @InjectModel(INTAKE_DUE) due: Model<unknown>,
    private readonly outbound: Outbound,
    private readonly config: IntakeEnv,
  ) {
    this.heads = new DueIndex(due.collection, { name: 'heads', bucketMs: 10_000 });
  }

  /** Before a change that queues messages in this case is written: the case is looked at again after RECHECK_MS, whatever happens to this process. */
  async expect(caseId: string, now = new Date()): Promise<void> {
    await this.heads.schedule(caseId, new Date(now.getTime() + RECHECK_MS), now);
  }

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

  async onApplicationBootstrap(): Promise<void> {
    this.stopped = false;
    const mark = await this.sweepMarks()
      .findOne({ _id: SWEEP_MARK })
      .catch((e) => this.logger.warn(`the last full sweep's time could not be read (${(e as Error).message}); sweeping now`));
    if (mark) {
      this.lastFullSweep = mark.at.getTime();
      this.lastFullSweepTook = mark.tookMs;
    }
    this.pass.start();
  }

  private sweepMarks() {
    return this.cases.db.collection<SweepMark>('intake_keys');
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.pass.stop();
  }

  /** A change queued messages in this case, or its head settled. */
  kick(caseId: string): void {
    if (this.stopped) return;
    this.dueCases.add(caseId);
    this.pass.kick();
  }

  async drain(now = new Date()): Promise<void> {
    const ids = [...this.dueCases];
    this.dueCases.clear();
    for (const id of new Set(ids)) {
      if (this.stopped) return;
      await this.handOver(id).catch((e) => this.logger.warn(`case ${id}: handing over its next message failed (${(e as Error).message}); it is looked at again`));
    }
    // Kicks come with every change; the due index is read at most every few seconds.
    if (now.getTime() - this.lastDueRead < RECHECK_MS / 12) return;
    this.lastDueRead = now.getTime();
    const handled: DueEntry[] = [];
    try {
      for (const entry of await this.heads.due(now, 200)) {
        if (this.stopped) return;
        try {
          const queued = await this.handOver(entry.id);
          if (queued) await this.heads.schedule(entry.id, new Date(now.getTime() + RECHECK_MS), now);
          handled.push(entry);
        } catch (e) {
          this.logger.warn(`case ${entry.id}: handing over its next message failed (${(e as Error).message}); it is looked at again`);
        }
      }
    } finally {
      await this.heads.doneMany(handled);
    }
    if (now.getTime() - this.lastFullSweep >= pacedInterval(FULL_SWEEP_MS, this.lastFullSweepTook, BACKGROUND_SCAN_SHARE)) {
      this.lastFullSweep = now.getTime();
      const queryStarted = Date.now();
      const swept = await this.cases
        .find({ 'deliveries.nextAttemptAt': mongoose.trusted({ $lte: now }) }, { _id: 1 })
        .limit(500)
        .lean<Pick<Case, '_id'>[]>();
      this.lastFullSweepTook = Date.now() - queryStarted;
      await this.sweepMarks()
        .updateOne({ _id: SWEEP_MARK }, { $set: { at: now, tookMs: this.lastFullSweepTook } }, { upsert: true })
        .catch((e) => this.logger.warn(`the full sweep's time could not be recorded (${(e as Error).message})`));
      for (const { _id } of swept) {
        if (this.stopped) return;
        await this.handOver(_id).catch((e) => this.logger.warn(`case ${_id}: handing over its next message failed (${(e as Error).message}); it is looked at again`));
      }
    }
  }

  /**
   * Hands the case's head to outbound, or, if outbound already settled it, records and pops it and
   * looks at the next. True while the case still queues a message.
   */
  private async handOver(caseId: string): Promise<boolean> {
    for (let i = 0; i < HEADS_PER_PASS; i++) {
      const c = await this.cases.findById(caseId, { accountId: 1, number: 1, subject: 1, deliveries: 1 }).lean<CaseHeads>();
      const head = c?.deliveries?.[0];
      if (!c || !head) return false;
      if (!head.email && !head.intercom) {
        await this.settle(caseId, head, { delivered: false, at: new Date(), attempts: 0, error: 'nothing to send' });
        continue;
      }
      const known = await this.outbound.findById(head.id);
      if (!known) {
        await this.outbound.enqueue({ noticeId: `case:${caseId}`, topic: REPLY_TOPIC, batchKey: `intake:${head.id}`, messages: [this.messageOf(c, head)] });
        return true;
      }
      if (known.state === 'pending') return true; // outbound is at it: its `settled` hook (or the due entry) moves on
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
    return true;
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
