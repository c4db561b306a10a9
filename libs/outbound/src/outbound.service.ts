import { DeliveryOutcomeItem, DeliveryOutcomePayload, DeliveryOutcomesPayload, EventEnvelope, Events, OutboundChannel } from '@sladesk/contracts';
import { NatsBus, OutboxRelay, outboxEvent, outboxFields, SERVICE_RUNTIME, ServiceRuntime, SingleFlight } from '@sladesk/messaging';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { DueEntry, DueIndex } from '@sladesk/persistence';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import mongoose, { Connection, Model } from 'mongoose';
import { OutboundEnv } from './config';
import {
  batchId,
  Delivery,
  DeliveryBatch,
  deliveryId,
  DeliveryPack,
  OutboundAttachment,
  OutcomeLog,
  PackItem,
  PackItemOutcome,
  packId,
  PackLease,
  PackOutcome,
  packOutcomeId,
} from './delivery.schema';
import { AttachmentFile, EmailTransport, IntercomReplyTransport, IntercomTransport, PermanentDeliveryError, Transport } from './transports';

/** One message for one recipient on one channel. */
export interface OutboundMessage {
  /**
   * The caller's own deterministic id for this delivery (e.g. escalation's `ntf_…`), unique among all
   * deliveries; default derived from notice, channel and recipient.
   */
  id?: string;
  channel: OutboundChannel;
  /** An email address, an Intercom user id, or (`intercom-reply`) an Intercom conversation id. */
  to: string;
  toName?: string;
  /** The sender, when not the default: a mail's From address, or the Intercom admin id (see `Delivery.from`). */
  from?: string;
  /** The mail's Message-ID, e.g. `<uuid@support.example>` (the caller keeps it to thread replies); default derived from the id. */
  messageId?: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  /**
   * Files the mail carries (`email` only), stored by reference: the topic's `attachment` hook reads
   * each one's bytes at every attempt (see OutboundAttachment).
   */
  attachments?: OutboundAttachment[];
  accountId?: string;
  refs?: Record<string, string>;
  /** Not sent before this instant (e.g. the recipient's working hours); default at once. */
  notBefore?: Date;
}

/** How an attempt ended, for `TopicHooks.settled`: sent, or failed for good. */
export interface SettledOutcome {
  delivered: boolean;
  at: Date;
  /** Attempts made, this one included. */
  attempts: number;
  /** Why the last attempt failed (a failure only). */
  error?: string;
}

/**
 * What the service that owns a topic decides about its deliveries. Register them with `Outbound.handle`
 * when the module starts (before any delivery of the topic is attempted, recovered ones included).
 */
export interface TopicHooks {
  /** Just before each attempt: false ends the delivery `cancelled`, unsent and without an event. */
  stillWanted?(d: Delivery): Promise<boolean>;
  /**
   * After the last word on a delivery (sent, or failed for good) is recorded. Not called again if the
   * process dies first: the owner needs its own check of `state` for that (as escalation has).
   */
  settled?(d: Delivery, outcome: SettledOutcome): Promise<void>;
  /**
   * The topic's own outcome event instead of `outbound.sent|failed` (the owner keeps the subjects its
   * readers know), or `null` for none (the owner records outcomes itself through `settled`, and no
   * reader of `…sent|failed` subjects should count them). Its `eventId` is replaced by
   * `<deliveryId>.<attempt>`, so a repeated record is deduplicated.
   */
  event?(outcome: 'sent' | 'failed', d: Delivery, payload: DeliveryOutcomePayload): EventEnvelope | null;
  /**
   * The bytes of an attachment the topic's messages carry (`OutboundAttachment.ref`), read before each
   * attempt. A `PermanentDeliveryError` (the file is gone) fails the delivery for good; any other
   * error is a failed attempt, retried with backoff. Required by a topic whose messages have attachments.
   */
  attachment?(ref: string, d: Delivery): Promise<Buffer>;
}

export interface EnqueueRequest {
  /** What the messages carry: part of every delivery id, so one recipient gets a notice once per channel. */
  noticeId: string;
  /** What the notice is about, e.g. `window.reminder` (carried by the outcome events). */
  topic: string;
  /** Names this call (e.g. `<noticeId>:page:3`): repeating it, from any instance, changes nothing. */
  batchKey: string;
  messages: OutboundMessage[];
  /**
   * Store the messages as one pack document (one insert for all, outcomes one record per round)
   * instead of a document each: for fan-outs. A repeated call with the same `batchKey` changes
   * nothing, but — unlike documents — a pack does not know its recipients' deliveries from other
   * calls: the caller keeps its calls from overlapping (maintenance's fan-out records the page it
   * hands over before it does). Ignored (a document each) when a message is held (`notBefore`), the
   * call has more than 2,000 messages (a pack is one document), or SLADESK_OUTBOUND_MAX_UNRECORDED is
   * set (a pack's outcomes are recorded in parts of up to 100).
   */
  packed?: boolean;
}

export interface DeliveryPage {
  items: Delivery[];
  nextCursor?: string;
}

interface Job {
  /** For a pack's message: made when its attempt starts (a fan-out queues thousands; see `startPack`). */
  doc: Delivery;
  /** The instant the delivery was claimed for (a test's chosen time through `dispatchDue`). */
  now?: Date;
  /** The lease this process holds on the delivery. */
  lease: Date;
  batch?: string;
  entry?: DueEntry;
  /** A message of a pack: the round this process holds, and its index in the pack. */
  pack?: PackRun;
  n?: number;
}

/** One round of a pack in this process: the lease it holds and what its attempts came to. */
interface PackRun {
  id: string;
  pack: DeliveryPack;
  round: number;
  lease: Date;
  /** When its due entry fires (lease end + 1 s). */
  dueAt: Date;
  items: PackItem[];
  /** Messages attempted in this round, and those still to finish. */
  size: number;
  outstanding: number;
  /** What the round has done since its last recorded part. */
  results: PackItemOutcome[];
  /** Messages whose attempt failed and will be retried on their own, as delivery documents. */
  spills: Delivery[];
  waiters: ((ok: boolean) => void)[];
  /** The next part's number, the parts written in order, outcomes recorded so far. */
  part: number;
  writing: Promise<void>;
  recorded: number;
  timer?: NodeJS.Timeout;
  /** A part could not be recorded (later ones are not written either), or its events not all published. */
  failed?: boolean;
  unpublished?: boolean;
  /** Another process took the pack over (our lease could not be renewed): its remaining messages are theirs. */
  lost: boolean;
  renewing?: Promise<boolean>;
}

interface Outcome {
  id: string;
  lease: Date;
  update: Record<string, unknown>;
  /** Null: the topic publishes no outcome events. */
  event: EventEnvelope | null;
  done: (ok: boolean) => void;
}

interface BatchTrack {
  outstanding: number;
  dueAt: Date;
}

const MAX_RETRY_MS = 3_600_000;
const LIST_PROJECTION = { text: 0, html: 0, headers: 0 };
const BATCH_ENTRY = 'b:';
const PACK_ENTRY = 'p:';
const RETRY_ENTRY = 'd:';
const LATER_INDEX = 'outbound-later';
/** The due index of one service's deliveries (and of its long waits). */
const dueIndexOf = (service: string) => (service === 'maintenance' ? 'outbound' : `outbound-${service}`);
const laterIndexOf = (service: string) => (service === 'maintenance' ? LATER_INDEX : `${LATER_INDEX}-${service}`);
/** Entries due further ahead than this go into the index of minutes. */
const LATER_MS = 5 * 60_000;
/** Outcomes written and published together (see `record`). */
/** What a message says and to whom, as stored (a delivery document or a pack's item): unset options left out. */
function contentOf(m: OutboundMessage) {
  return {
    ...(m.accountId ? { accountId: m.accountId } : {}),
    channel: m.channel,
    to: m.to,
    ...(m.toName ? { toName: m.toName } : {}),
    ...(m.from ? { from: m.from } : {}),
    ...(m.messageId ? { messageId: m.messageId } : {}),
    subject: m.subject,
    text: m.text,
    ...(m.html ? { html: m.html } : {}),
    ...(m.headers ? { headers: m.headers } : {}),
    ...(m.attachments?.length ? { attachments: m.attachments } : {}),
    ...(m.refs ? { refs: m.refs } : {}),
  };
}

const OUTCOME_BATCH = 100;
/** Statements per bulk write (see flushOutcomes). */
const BULK_PART = 50;
const OUTCOME_LINGER_MS = 10;
/** A pack part's events published at once (JetStream acks awaited together). */
const PUBLISH_AT_ONCE = 64;
/** Messages of one pack at most (one document: MongoDB's limit is 16 MB); a larger call gets delivery documents. */
const PACK_MAX = 2_000;
/** A slow round records what it has done after this long at the latest. */
const PACK_LINGER_MS = 1_000;

/**
 * The product's one outbound delivery component: durable, `_id`-keyed, at most one sender at a time.
 *
 * `enqueue` writes one document per (notice, channel, recipient) with a deterministic `_id`, so
 * repeating a fan-out creates nothing twice. The writing process holds a lease on what it inserted
 * and sends it at once (fast path); a due-index entry per batch, due when the lease ends, lets any
 * instance take over what a crash left behind, and a failed attempt schedules its own entry for the
 * retry (backoff doubling from SLADESK_OUTBOUND_RETRY_MS). A message with `notBefore` is held: nobody's
 * lease, a due entry at that time. Every outcome — sent, failed and retried, failed for good — is
 * recorded with its event (`outbound.*`, or the topic owner's own: `handle`) and published by the relay.
 * The owner of a topic may also veto an attempt (`stillWanted`) and hear of the last word (`settled`).
 * Mail may carry attachments by reference (`OutboundAttachment`): the owner stores each file once and
 * its `attachment` hook reads the bytes at every attempt, so no delivery document holds a file.
 *
 * A fan-out passes `packed`: the messages of one call are one pack document instead (its lease and
 * its outcome records beside it, states derived on read, events derived from the records; see
 * `enqueuePack`, `recordPart`, `recoverPack`) — one insert for a page of deliveries, where the cost on
 * FerretDB is per document written.
 *
 * What it cannot promise: a process that dies after the mail server accepted a message and before the
 * `sent` write resends it after the lease; the resend carries the same Message-ID
 * (`<deliveryId@domain>`, or the caller's own `messageId`), so mail clients show it once.
 */
@Injectable()
export class Outbound implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Outbound.name);
  private readonly due: DueIndex;
  /** What waits longer (held messages, long backoffs), in minute buckets: a tick's read spans hours ahead in few reads. */
  private readonly later: DueIndex;
  private readonly laterName: string;
  private readonly dueCollection: unknown;
  private readonly queue: Job[] = [];
  private readonly batches = new Map<string, BatchTrack>();
  private readonly packs = new Map<string, PackRun>();
  private readonly ticker: SingleFlight;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly outcomes: Outcome[] = [];
  private outcomeTimer?: NodeJS.Timeout;
  private readonly hooks = new Map<string, TopicHooks>();
  private active = 0;
  /** Attempts whose outcome is still being recorded. */
  private background = 0;
  private stopped = true;

  constructor(
    @InjectModel(Delivery.name) readonly model: Model<Delivery>,
    @InjectModel(DeliveryBatch.name) private readonly batchModel: Model<DeliveryBatch>,
    @InjectModel(OutcomeLog.name) private readonly outcomeModel: Model<OutcomeLog>,
    @InjectModel(DeliveryPack.name) private readonly packModel: Model<DeliveryPack>,
    @InjectModel(PackLease.name) private readonly leaseModel: Model<PackLease>,
    @InjectModel(PackOutcome.name) private readonly packOutcomeModel: Model<PackOutcome>,
    @InjectConnection() connection: Connection,
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    private readonly relay: OutboxRelay,
    private readonly bus: NatsBus,
    private readonly config: OutboundEnv,
    private readonly email: EmailTransport,
    private readonly intercom: IntercomTransport,
    private readonly intercomReply: IntercomReplyTransport,
  ) {
    // Each service reads only the due entries of its own deliveries: the services may share one database
    // (npm start does), and a delivery sent by a service that does not own its topic would skip the
    // owner's hooks and events. Maintenance, the first user, keeps the original index names.
    this.dueCollection = connection.collection('outbound_due');
    this.laterName = laterIndexOf(runtime.service);
    this.due = new DueIndex(this.dueCollection as never, { name: dueIndexOf(runtime.service), bucketMs: 10_000 });
    this.later = new DueIndex(this.dueCollection as never, { name: this.laterName });
    this.ticker = new SingleFlight(() => this.tick(), { name: 'outbound due', intervalMs: config.SLADESK_OUTBOUND_TICK_MS, logger: this.logger });
  }

  /** The owner of `topic` decides about its deliveries (see TopicHooks). */
  handle(topic: string, hooks: TopicHooks): void {
    this.hooks.set(topic, hooks);
  }

  onApplicationBootstrap(): void {
    this.relay.register(this.outcomeModel, { drained: 'delete' });
    this.stopped = false;
    this.ticker.start();
  }

  /** Finishes the sends in flight and hands what is still queued to the next process at once. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.ticker.stop();
    const left = this.queue.splice(0);
    // A pack's messages not started: its round is recorded as far as it got, and the pack handed on.
    for (const job of left) if (job.pack) void this.packDone(job.pack, undefined);
    await this.idle();
    await this.flushOutcomes();
    await this.handOver(left);
  }

  /**
   * Records the messages and sends them. Returns the ids of every message (new or already known) and
   * how many were new. A message already recorded (by this or an earlier call) is not sent again.
   */
  async enqueue(req: EnqueueRequest, now = new Date()): Promise<{ ids: string[]; created: number }> {
    this.checkAttachments(req);
    const held = req.messages.some((m) => m.notBefore && m.notBefore.getTime() > now.getTime());
    if (req.packed && !held && req.messages.length <= PACK_MAX && this.config.SLADESK_OUTBOUND_MAX_UNRECORDED === 0) return this.enqueuePack(req, now);
    const lease = new Date(now.getTime() + this.config.SLADESK_OUTBOUND_LEASE_MS);
    const docs = new Map<string, Delivery>();
    for (const m of req.messages) {
      const id = m.id ?? deliveryId(req.noticeId, m.channel, m.to);
      if (docs.has(id)) continue;
      const held = m.notBefore && m.notBefore.getTime() > now.getTime() ? m.notBefore : undefined;
      docs.set(id, {
        _id: id,
        noticeId: req.noticeId,
        source: this.runtime.service,
        topic: req.topic,
        ...contentOf(m),
        state: 'pending',
        attempts: 0,
        // A held message is nobody's until it is due: its own entry (below) brings it to the sender then.
        nextAttemptAt: held ?? now,
        leaseUntil: held ? new Date(0) : lease,
        ...(held ? {} : { leaseOwner: this.runtime.instanceId }),
        createdAt: now,
      });
    }
    const ids = [...docs.keys()];
    if (ids.length === 0) return { ids, created: 0 };
    const all = [...docs.values()];
    const immediate = new Set(all.filter((d) => d.nextAttemptAt.getTime() <= now.getTime()).map((d) => d._id));
    // The recovery entries first: whatever happens after them, each message is looked at in time
    // (a held one when it is due, the others as a batch when the lease ends).
    for (const d of all) if (!immediate.has(d._id)) await this.scheduleRetry(d._id, d.nextAttemptAt, now);
    const bid = batchId(req.batchKey);
    const dueAt = new Date(lease.getTime() + 1000);
    if (immediate.size > 0) {
      await this.due.schedule(BATCH_ENTRY + bid, dueAt, now);
      await this.batchModel.updateOne({ _id: bid }, { $setOnInsert: { ids: [...immediate], createdAt: now } }, { upsert: true }).catch(ignoreDuplicate);
    }
    const inserted = await this.insertNew(all);
    const toSend = inserted.filter((d) => immediate.has(d._id));
    if (toSend.length > 0) {
      this.batches.set(bid, { outstanding: toSend.length, dueAt });
      for (const doc of toSend) this.queue.push({ doc, lease, batch: bid });
      this.pump();
    }
    return { ids, created: inserted.length };
  }

  /**
   * Takes over deliveries recorded elsewhere before (an older store of the caller's, being migrated):
   * inserts those not known yet, as they are, and schedules each pending one for its next attempt (or
   * when the lease it carries ends). Repeating it changes nothing. Returns how many were new.
   */
  async adopt(docs: Delivery[], now = new Date()): Promise<number> {
    for (const d of docs) {
      if (d.state !== 'pending') continue;
      await this.scheduleRetry(d._id, new Date(Math.max(d.nextAttemptAt.getTime(), d.leaseUntil.getTime())), now);
    }
    return docs.length ? (await this.insertNew(docs)).length : 0;
  }

  /**
   * Background repair: every pending delivery of `source` that is overdue is scheduled again (data from
   * before the due index, or an entry lost to a bug). A query by `source` and `state`, unindexed (an
   * index would cost every delivery's writes): a scan, for a rare background pass, never a hot path.
   */
  async rescheduleOverdue(source: string, now = new Date()): Promise<number> {
    let n = 0;
    const filter = { source, state: 'pending', nextAttemptAt: mongoose.trusted({ $lte: now }) };
    for await (const d of this.model.find(filter, { nextAttemptAt: 1, leaseUntil: 1 }).lean<Delivery[]>().cursor()) {
      await this.scheduleRetry(d._id, new Date(Math.max(d.nextAttemptAt.getTime(), d.leaseUntil.getTime())), now);
      n += 1;
    }
    return n;
  }

  /**
   * Attempts what is due at `now` (retries, held messages, batches a crash left) in this call, besides
   * the component's own ticker: for a caller that drives time itself (tests with a chosen instant).
   */
  dispatchDue(now = new Date()): Promise<void> {
    return this.tick(now);
  }

  findById(id: string): Promise<Delivery | null> {
    return this.model.findById(id).lean<Delivery>();
  }

  /**
   * The deliveries of a notice, a page at a time: first those with a document of their own (in id
   * order), then those of its packs (in pack order, each with its state derived from the pack's
   * outcome records, or from the document a retried one moved to). Reads by `noticeId` (indexed on
   * MongoDB; the packs are found through their small lease documents); on FerretDB a scan of the
   * deliveries and of the leases, so it serves the notices log, not a hot path (a pack whose writer
   * died between the pack and its lease appears once its recovery writes the lease). Cursors are
   * opaque: a delivery id, or `<pack>:<n>`.
   */
  async list(noticeId: string, limit: number, after?: string): Promise<DeliveryPage> {
    const items: Delivery[] = [];
    let last: string | undefined;
    let afterPack: string | undefined;
    let afterN = -1;
    if (after?.startsWith('pck_') && after.includes(':')) {
      afterPack = after.slice(0, after.indexOf(':'));
      afterN = Number(after.slice(after.indexOf(':') + 1));
    } else {
      const filter: Record<string, unknown> = { noticeId, pack: mongoose.trusted({ $exists: false }) };
      if (after) filter._id = mongoose.trusted({ $gt: after });
      const rows = await this.model.find(filter, LIST_PROJECTION).sort({ _id: 1 }).limit(limit + 1).lean<Delivery[]>();
      if (rows.length > limit) return { items: rows.slice(0, limit), nextCursor: rows[limit - 1]._id };
      items.push(...rows);
      last = rows[rows.length - 1]?._id;
    }
    const leaseFilter: Record<string, unknown> = { noticeId };
    if (afterPack) leaseFilter._id = mongoose.trusted({ $gte: afterPack });
    const leases = await this.leaseModel.find(leaseFilter, { round: 1 }).sort({ _id: 1 }).lean<PackLease[]>();
    for (const l of leases) {
      const pack = await this.packModel.findById(l._id).lean<DeliveryPack>();
      if (!pack) continue;
      const states = await this.packStates(pack._id, l.round + 1);
      for (let n = pack._id === afterPack ? afterN + 1 : 0; n < pack.items.length; n++) {
        if (items.length === limit) return { items, nextCursor: last };
        items.push(await this.viewOf(pack, n, states.get(n)));
        last = `${pack._id}:${n}`;
      }
    }
    return { items };
  }

  /** The pack of `batchKey` if it was written (by this or an earlier `enqueue` with `packed`): how many messages, to how many accounts. */
  async packWritten(batchKey: string): Promise<{ messages: number; accounts: number } | null> {
    const pack = await this.packModel.findById(packId(batchKey)).lean<DeliveryPack>();
    return pack ? { messages: pack.items.length, accounts: new Set(pack.items.map((i) => i.accountId)).size } : null;
  }

  /** Resolves when nothing is queued or being sent by this process (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0 && this.background === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- sending ------------------------------------------------------------------------------

  private pump(): void {
    while (!this.stopped && this.active < this.config.SLADESK_OUTBOUND_CONCURRENCY && this.queue.length > 0 && !this.atRiskFull()) {
      const job = this.queue.shift()!;
      if (job.pack && !job.doc) job.doc = this.docOf(job.pack.pack, job.n!, job.lease);
      this.active += 1;
      // The slot is free once the message is handed over; recording the outcome (batched) goes on beside.
      void this.attempt(job).then(
        (r) => this.afterAttempt(job, r.recorded, r.settled),
        (e) => {
          this.logger.warn(`delivery ${job.doc._id}: ${(e as Error).message}`);
          this.afterAttempt(job, job.pack ? this.packDone(job.pack, undefined) : undefined);
        },
      );
    }
    this.checkIdle();
  }

  private afterAttempt(job: Job, recorded: Promise<boolean> | undefined, outcome?: SettledOutcome): void {
    this.active -= 1;
    this.background += 1;
    void (recorded ?? Promise.resolve(true))
      .then((ok) => (ok && outcome ? this.tellOwner(job.doc, outcome) : undefined))
      .then(() => this.release(job))
      .catch((e) => this.logger.warn(`delivery ${job.doc._id} bookkeeping: ${(e as Error).message}`))
      .finally(() => {
        this.background -= 1;
        // Frees a place under SLADESK_OUTBOUND_MAX_UNRECORDED (and reports idleness).
        this.pump();
      });
    this.pump();
  }

  private async tellOwner(d: Delivery, outcome: SettledOutcome): Promise<void> {
    const settled = this.hooks.get(d.topic)?.settled;
    if (!settled) return;
    await settled(d, outcome).catch((e) => this.logger.warn(`the owner of delivery ${d._id} (${d.topic}) was not told it settled: ${(e as Error).message}`));
  }

  private eventOf(outcome: 'sent' | 'failed', d: Delivery, payload: DeliveryOutcomePayload, at?: Date): EventEnvelope | null {
    const own = this.hooks.get(d.topic)?.event;
    const event = own ? own(outcome, d, payload) : outboxEvent(outcome === 'sent' ? Events.DeliverySent : Events.DeliveryFailed, payload, at);
    return event && { ...event, eventId: `${d._id}.${payload.attempts}` };
  }

  /**
   * Whether as many messages as SLADESK_OUTBOUND_MAX_UNRECORDED are started but not yet recorded (what a
   * killed process would send again): then no further one starts, and outcomes are written without lingering.
   */
  private atRiskFull(): boolean {
    const max = this.config.SLADESK_OUTBOUND_MAX_UNRECORDED;
    return max > 0 && this.active + this.background >= max;
  }

  private checkIdle(): void {
    if (this.active === 0 && this.queue.length === 0 && this.background === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** A request whose messages carry attachments must be mail, of a topic that can read them. */
  private checkAttachments(req: EnqueueRequest): void {
    const withFiles = req.messages.filter((m) => m.attachments?.length);
    if (withFiles.length === 0) return;
    if (withFiles.some((m) => m.channel !== 'email')) throw new Error(`${req.topic}: only email messages carry attachments`);
    if (!this.hooks.get(req.topic)?.attachment) throw new Error(`${req.topic}: messages with attachments need the topic's attachment hook (Outbound.handle)`);
  }

  /** The bytes of the delivery's attachments, read through its topic's hook for this attempt. */
  private async filesOf(d: Delivery): Promise<AttachmentFile[] | undefined> {
    if (!d.attachments?.length) return undefined;
    const read = this.hooks.get(d.topic)?.attachment;
    if (!read) throw new PermanentDeliveryError(`no attachment hook for topic ${d.topic}`);
    return Promise.all(d.attachments.map(async (a) => ({ filename: a.filename, contentType: a.contentType, content: await read(a.ref, d) })));
  }

  private transportOf(channel: OutboundChannel): Transport {
    return channel === 'intercom' ? this.intercom : channel === 'intercom-reply' ? this.intercomReply : this.email;
  }

  /** Sends; resolves once the message is handed over, with the promise of its outcome's record. */
  private async attempt(job: Job): Promise<{ recorded?: Promise<boolean>; settled?: SettledOutcome }> {
    if (job.pack) return this.attemptPacked(job, job.pack, job.n!);
    const d = job.doc;
    // A long queue may outlast the lease: extend it before sending, or leave the delivery to its new owner.
    if (job.lease.getTime() - Date.now() < this.config.SLADESK_OUTBOUND_LEASE_MS / 3) {
      const lease = await this.claim(d._id, job.lease);
      if (!lease) return {};
      job.lease = lease;
    }
    const attempts = d.attempts + 1;
    const mine = { _id: d._id, leaseUntil: job.lease };
    const stillWanted = this.hooks.get(d.topic)?.stillWanted;
    if (stillWanted && !(await stillWanted(d))) {
      const cancelled = this.model.updateOne(mine, { $set: { state: 'cancelled', leaseUntil: new Date(0) } }).then((r) => r.modifiedCount === 1);
      return { recorded: cancelled };
    }
    try {
      await this.transportOf(d.channel).send(d, await this.filesOf(d));
    } catch (e) {
      const error = ((e as Error)?.message ?? String(e)).slice(0, 500);
      const final = e instanceof PermanentDeliveryError || attempts >= this.config.SLADESK_OUTBOUND_MAX_ATTEMPTS;
      const at = new Date();
      const event = this.eventOf('failed', d, { ...this.outcome(d, attempts, at), error, final });
      if (final) {
        this.logger.error(`${d.channel} delivery ${d._id} failed for good after ${attempts} attempt(s): ${error}`);
        return {
          recorded: this.record(mine, { $set: { state: 'failed', attempts, lastError: error, lastAttemptAt: at, leaseUntil: new Date(0) } }, event),
          settled: { delivered: false, at, attempts, error },
        };
      } else {
        const retryAt = new Date(at.getTime() + Math.min(this.config.SLADESK_OUTBOUND_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS));
        this.logger.warn(`${d.channel} delivery ${d._id} attempt ${attempts} failed (${error}); retry at ${retryAt.toISOString()}`);
        await this.scheduleRetry(d._id, retryAt, at);
        return {
          recorded: this.record(mine, { $set: { attempts, lastError: error, lastAttemptAt: at, nextAttemptAt: retryAt, leaseUntil: new Date(0) } }, event),
        };
      }
    }
    const at = new Date();
    return {
      recorded: this.record(
        mine,
        { $set: { state: 'sent', attempts, sentAt: at, lastAttemptAt: at, leaseUntil: new Date(0) } },
        this.eventOf('sent', d, this.outcome(d, attempts, at)),
      ),
      settled: { delivered: true, at, attempts },
    };
  }

  /**
   * Records an outcome and its event, batched with other deliveries' outcomes: first one document
   * holding the batch's events (published by the outbox relay, then deleted), then the states in one
   * bulk write. So no recorded outcome lacks its event; a crash between the two leaves events whose
   * deliveries are retried after their lease, and the retry's event has the same id (deduplicated).
   * An outcome whose lease is about to end is written alone, conditional on the lease, with its event.
   */
  private record(filter: { _id: string; leaseUntil: Date }, update: Record<string, unknown>, event: EventEnvelope | null): Promise<boolean> {
    return new Promise((done) => {
      this.outcomes.push({ id: filter._id, lease: filter.leaseUntil, update, event, done });
      if (this.outcomes.length >= OUTCOME_BATCH || this.atRiskFull()) void this.flushOutcomes();
      else this.outcomeTimer ??= setTimeout(() => void this.flushOutcomes(), OUTCOME_LINGER_MS);
    });
  }

  private async flushOutcomes(): Promise<void> {
    if (this.outcomeTimer) clearTimeout(this.outcomeTimer);
    this.outcomeTimer = undefined;
    const batch = this.outcomes.splice(0, this.outcomes.length);
    if (batch.length === 0) return;
    // An outcome whose lease is about to end is written alone, conditional on it (another instance may take the delivery over).
    const safeUntil = Date.now() + 5_000;
    const safe = batch.filter((o) => o.lease.getTime() > safeUntil);
    for (const o of batch.filter((x) => x.lease.getTime() <= safeUntil)) {
      const logId = o.event ? randomUUID() : undefined;
      const ok = await (logId ? this.outcomeModel.collection.insertOne({ _id: logId, createdAt: new Date(), ...outboxFields([o.event!]) } as never) : Promise.resolve())
        .then(() => this.model.updateOne({ _id: o.id, leaseUntil: o.lease }, o.update))
        .then((r) => r.modifiedCount === 1)
        .catch(() => false);
      // Written or not, the event stands only if the outcome was: otherwise drop it before the relay sees it.
      if (logId && !ok) await this.outcomeModel.collection.deleteOne({ _id: logId } as never).catch(() => undefined);
      else if (logId) this.relay.published(this.outcomeModel, logId);
      o.done(ok);
    }
    if (safe.length === 0) return;
    const events = safe.map((o) => o.event).filter((e): e is EventEnvelope => e !== null);
    const logId = events.length ? randomUUID() : undefined;
    try {
      if (logId) await this.outcomeModel.collection.insertOne({ _id: logId, createdAt: new Date(), ...outboxFields(events) } as never);
      // In parts: FerretDB 1.24 never answers an `update` command of 100 statements or more (99 pass).
      for (let i = 0; i < safe.length; i += BULK_PART) {
        const part = safe.slice(i, i + BULK_PART);
        await this.model.collection.bulkWrite(part.map((o) => ({ updateOne: { filter: { _id: o.id, leaseUntil: o.lease }, update: o.update } })) as never[], { ordered: false });
      }
    } catch (e) {
      this.logger.warn(`recording ${safe.length} outcomes failed: ${(e as Error).message}; those deliveries are retried after their lease`);
      for (const o of safe) o.done(false);
      return;
    } finally {
      if (logId) this.relay.published(this.outcomeModel, logId);
    }
    for (const o of safe) o.done(true);
  }

  private outcome(d: Delivery, attempts: number, at: Date): DeliveryOutcomePayload {
    return {
      deliveryId: d._id,
      noticeId: d.noticeId,
      source: d.source,
      topic: d.topic,
      ...(d.accountId ? { accountId: d.accountId } : {}),
      channel: d.channel,
      to: d.to,
      subject: d.subject,
      attempts,
      ...(d.refs ? { refs: d.refs } : {}),
      at: at.toISOString(),
    };
  }

  /** After an attempt: the batch (or retry entry) that covered it is no longer needed once all are settled. */
  private async release(job: Job): Promise<void> {
    if (job.entry) await this.indexOf(job.entry).done(job.entry);
    if (!job.batch) return;
    const track = this.batches.get(job.batch);
    if (!track) return;
    track.outstanding -= 1;
    if (track.outstanding > 0) return;
    this.batches.delete(job.batch);
    await this.due.cancel(BATCH_ENTRY + job.batch, track.dueAt);
  }

  /** Takes the delivery if it is pending, due and nobody holds it (or we do, with `held`). */
  private async claim(id: string, held?: Date, now = new Date()): Promise<Date | null> {
    const lease = new Date(now.getTime() + this.config.SLADESK_OUTBOUND_LEASE_MS);
    const filter = held
      ? { _id: id, state: 'pending', source: this.runtime.service, leaseUntil: held }
      : { _id: id, state: 'pending', source: this.runtime.service, nextAttemptAt: mongoose.trusted({ $lte: now }), leaseUntil: mongoose.trusted({ $lte: now }) };
    const res = await this.model.updateOne(filter, { $set: { leaseUntil: lease, leaseOwner: this.runtime.instanceId } });
    return res.modifiedCount === 1 ? lease : null;
  }

  // ---- recovery -----------------------------------------------------------------------------

  /** Retries that are due, and batches whose lease ended (their writer may have died). */
  private async tick(now = new Date()): Promise<void> {
    if (this.stopped) return;
    const entries = [...(await this.due.due(now, 200)), ...(await this.later.due(now, 200))];
    for (const entry of entries) {
      if (this.stopped) return;
      if (entry.id.startsWith(RETRY_ENTRY)) await this.recoverOne(entry, now);
      else if (entry.id.startsWith(BATCH_ENTRY)) await this.recoverBatch(entry, now);
      else if (entry.id.startsWith(PACK_ENTRY)) await this.recoverPack(entry, now);
      else await this.indexOf(entry).done(entry);
    }
  }

  private async recoverOne(entry: DueEntry, now: Date): Promise<void> {
    const id = entry.id.slice(RETRY_ENTRY.length);
    const doc = await this.findById(id);
    // Not written yet (the entry goes first): its writer may still be at it, unless the entry is old.
    if (!doc && !DueIndex.settled(entry, now)) return;
    if (!doc || doc.state !== 'pending' || doc.nextAttemptAt > entry.dueAt) return this.indexOf(entry).done(entry);
    if (doc.source !== this.runtime.service) {
      // An entry written before the indexes were per service: handed to the owner's index.
      await new DueIndex(this.dueCollection as never, { name: dueIndexOf(doc.source), bucketMs: 10_000 }).schedule(RETRY_ENTRY + id, now, now);
      return this.indexOf(entry).done(entry);
    }
    if (doc.leaseUntil.getTime() > now.getTime()) {
      // Someone is at it: look again when their lease ends.
      await this.scheduleRetry(id, new Date(doc.leaseUntil.getTime() + 1000));
      return this.indexOf(entry).done(entry);
    }
    const lease = await this.claim(id, undefined, now);
    if (!lease) return; // lost a race; the entry stays and is looked at again
    this.queue.push({ doc: { ...doc, leaseUntil: lease }, lease, entry });
    this.pump();
  }

  private async recoverBatch(entry: DueEntry, at: Date): Promise<void> {
    const bid = entry.id.slice(BATCH_ENTRY.length);
    if (this.batches.has(bid)) {
      // Still ours and in progress (a long batch): look again later.
      await this.due.schedule(entry.id, new Date(Date.now() + this.config.SLADESK_OUTBOUND_LEASE_MS));
      return this.due.done(entry);
    }
    const batch = await this.batchModel.findById(bid).lean<DeliveryBatch>();
    if (!batch) return this.due.done(entry);
    const claimed: Job[] = [];
    let heldUntil = 0;
    await forEachLimit(batch.ids, 16, async (id) => {
      const doc = await this.findById(id);
      if (!doc || doc.state !== 'pending') return;
      const now = Math.max(Date.now(), at.getTime());
      if (doc.leaseUntil.getTime() > now) heldUntil = Math.max(heldUntil, doc.leaseUntil.getTime());
      else if (doc.nextAttemptAt.getTime() <= now) {
        const lease = await this.claim(id, undefined, new Date(now));
        if (lease) claimed.push({ doc: { ...doc, leaseUntil: lease }, lease, batch: bid });
      } // else: a retry is scheduled, and has its own entry
    });
    if (claimed.length > 0) {
      const dueAt = new Date(Date.now() + this.config.SLADESK_OUTBOUND_LEASE_MS + 1000);
      heldUntil = Math.max(heldUntil, dueAt.getTime());
      this.batches.set(bid, { outstanding: claimed.length, dueAt: new Date(heldUntil) });
      this.logger.log(`taking over ${claimed.length} deliveries of batch ${bid}`);
    }
    if (heldUntil > 0) await this.due.schedule(entry.id, new Date(heldUntil + (claimed.length ? 0 : 1000)));
    await this.due.done(entry);
    this.queue.push(...claimed);
    this.pump();
  }

  /** Graceful stop: releases the leases of what was queued but not sent, and makes its batches due now. */
  private async handOver(jobs: Job[]): Promise<void> {
    // Packs hand themselves over when their round is recorded (packDone).
    if (jobs.length === 0) return;
    const now = new Date();
    jobs = jobs.filter((j) => !j.pack);
    if (jobs.length === 0) return;
    await forEachLimit(jobs, 16, async (job) => {
      await this.model.updateOne({ _id: job.doc._id, leaseUntil: job.lease }, { $set: { leaseUntil: now } });
    });
    const batches = new Set(jobs.map((j) => j.batch).filter((b): b is string => !!b));
    for (const bid of batches) await this.due.schedule(BATCH_ENTRY + bid, now, now);
    for (const job of jobs) if (job.entry) await this.due.schedule(job.entry.id, now, now);
    this.logger.log(`handed over ${jobs.length} queued deliveries`);
  }

  /** The retry entry of a delivery, in the index that suits how far ahead it is. */
  private scheduleRetry(id: string, at: Date, now = new Date()): Promise<void> {
    return (at.getTime() - now.getTime() > LATER_MS ? this.later : this.due).schedule(RETRY_ENTRY + id, at, now);
  }

  private indexOf(entry: DueEntry): DueIndex {
    return entry.bucket.startsWith(`${this.laterName}|`) ? this.later : this.due;
  }

  // ---- packs -------------------------------------------------------------------------------

  /**
   * `enqueue` with `packed`: the due entry first (it brings the pack to any instance once the lease
   * ends), then the pack — one insert for all its messages, a repeated call finds it and sends
   * nothing — then its lease (round 0, this process). A crash before the lease leaves a pack the
   * entry's recovery takes over.
   */
  private async enqueuePack(req: EnqueueRequest, now: Date): Promise<{ ids: string[]; created: number }> {
    const items = new Map<string, PackItem>();
    for (const m of req.messages) {
      const id = m.id ?? deliveryId(req.noticeId, m.channel, m.to);
      if (items.has(id)) continue;
      items.set(id, {
        id,
        ...contentOf(m),
      });
    }
    const ids = [...items.keys()];
    if (ids.length === 0) return { ids, created: 0 };
    const pid = packId(req.batchKey);
    const lease = new Date(now.getTime() + this.config.SLADESK_OUTBOUND_LEASE_MS);
    const dueAt = new Date(lease.getTime() + 1000);
    await this.due.schedule(PACK_ENTRY + pid, dueAt, now);
    const pack: DeliveryPack = { _id: pid, noticeId: req.noticeId, source: this.runtime.service, topic: req.topic, items: [...items.values()], createdAt: now };
    try {
      await this.packModel.collection.insertOne(pack as never);
    } catch (e) {
      if ((e as { code?: number })?.code === 11000) return { ids, created: 0 };
      throw e;
    }
    try {
      await this.leaseModel.collection.insertOne({ _id: pid, noticeId: req.noticeId, round: 0, leaseUntil: lease, leaseOwner: this.runtime.instanceId } as never);
    } catch (e) {
      this.logger.warn(`pack ${pid}: its lease was not written (${(e as Error).message}); it is sent when its due entry is recovered`);
      return { ids, created: ids.length };
    }
    this.startPack(pack, 0, lease, dueAt, pack.items.map((_x, n) => n));
    return { ids, created: ids.length };
  }

  private startPack(pack: DeliveryPack, round: number, lease: Date, dueAt: Date, ns: number[]): void {
    const run: PackRun = {
      id: pack._id,
      pack,
      round,
      lease,
      dueAt,
      items: pack.items,
      size: ns.length,
      outstanding: ns.length,
      results: [],
      spills: [],
      waiters: [],
      part: 0,
      writing: Promise.resolve(),
      recorded: 0,
      lost: false,
    };
    this.packs.set(run.id, run);
    // Each message's delivery is made when its attempt starts: a fan-out queues its packs faster than
    // they are sent, and thousands of queued copies would only be more for the garbage collector to move.
    for (const n of ns) this.queue.push({ doc: undefined as unknown as Delivery, lease, pack: run, n });
    this.pump();
  }

  /** A pack's message as the delivery it is (what transports, hooks and events see). */
  private docOf(pack: DeliveryPack, n: number, lease: Date): Delivery {
    const { id, erased: _erased, ...item } = pack.items[n];
    return {
      _id: id,
      noticeId: pack.noticeId,
      source: pack.source,
      topic: pack.topic,
      ...item,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: pack.createdAt,
      leaseUntil: lease,
      leaseOwner: this.runtime.instanceId,
      createdAt: pack.createdAt,
    };
  }

  /** One attempt of a pack's message; its outcome is recorded with the round's (packDone). */
  private async attemptPacked(job: Job, run: PackRun, n: number): Promise<{ recorded?: Promise<boolean>; settled?: SettledOutcome }> {
    const d = job.doc;
    if (run.lost || !(await this.keepPack(run))) return { recorded: this.packDone(run, undefined) };
    const stillWanted = this.hooks.get(d.topic)?.stillWanted;
    if (run.items[n].erased) return { recorded: this.packDone(run, { n, s: 'cancelled', a: 0, at: new Date(), e: 'the recipient was erased' }) };
    if (stillWanted && !(await stillWanted(d))) return { recorded: this.packDone(run, { n, s: 'cancelled', a: 0, at: new Date() }) };
    try {
      await this.transportOf(d.channel).send(d, await this.filesOf(d));
    } catch (e) {
      const error = ((e as Error)?.message ?? String(e)).slice(0, 500);
      const final = e instanceof PermanentDeliveryError || this.config.SLADESK_OUTBOUND_MAX_ATTEMPTS <= 1;
      const at = new Date();
      if (final) {
        this.logger.error(`${d.channel} delivery ${d._id} failed for good after 1 attempt: ${error}`);
        return { recorded: this.packDone(run, { n, s: 'failed', a: 1, at, e: error }), settled: { delivered: false, at, attempts: 1, error } };
      }
      // Retried on its own: a delivery document (written before the round's record names it) with its retry entry.
      const retryAt = new Date(at.getTime() + Math.min(this.config.SLADESK_OUTBOUND_RETRY_MS, MAX_RETRY_MS));
      this.logger.warn(`${d.channel} delivery ${d._id} attempt 1 failed (${error}); retry at ${retryAt.toISOString()}`);
      await this.scheduleRetry(d._id, retryAt, at);
      const { leaseOwner: _owner, ...rest } = d;
      const spill: Delivery = { ...rest, attempts: 1, lastError: error, lastAttemptAt: at, nextAttemptAt: retryAt, leaseUntil: new Date(0), pack: run.id };
      return { recorded: this.packDone(run, { n, s: 'retry', a: 1, at, e: error }, spill) };
    }
    const at = new Date();
    return { recorded: this.packDone(run, { n, s: 'sent', a: 1, at }), settled: { delivered: true, at, attempts: 1 } };
  }

  /** Renews the pack's lease when a third of it is left; false when another process has taken the pack over. */
  private keepPack(run: PackRun): Promise<boolean> {
    if (run.lease.getTime() - Date.now() >= this.config.SLADESK_OUTBOUND_LEASE_MS / 3) return Promise.resolve(true);
    run.renewing ??= (async () => {
      const lease = new Date(Date.now() + this.config.SLADESK_OUTBOUND_LEASE_MS);
      const r = await this.leaseModel.updateOne({ _id: run.id, round: run.round, leaseUntil: run.lease }, { $set: { leaseUntil: lease } });
      if (r.modifiedCount !== 1) {
        run.lost = true;
        this.logger.warn(`pack ${run.id}: taken over by another process; its remaining messages are theirs`);
        return false;
      }
      const before = run.dueAt;
      run.lease = lease;
      run.dueAt = new Date(lease.getTime() + 1000);
      await this.due.schedule(PACK_ENTRY + run.id, run.dueAt);
      await this.due.cancel(PACK_ENTRY + run.id, before);
      return true;
    })().finally(() => (run.renewing = undefined));
    return run.renewing;
  }

  /**
   * A message of the round is done (or was not attempted: no result). Outcomes are recorded in parts
   * of at most OUTCOME_BATCH, after OUTCOME_LINGER_MS at the latest for a slow round, and when the
   * round ends: what a crash leaves sent but unrecorded stays as bounded as it is for delivery
   * documents (SLADESK_OUTBOUND_CONCURRENCY + OUTCOME_BATCH).
   */
  private packDone(run: PackRun, result: PackItemOutcome | undefined, spill?: Delivery): Promise<boolean> {
    return new Promise((done) => {
      if (result) run.results.push(result);
      if (spill) run.spills.push(spill);
      run.waiters.push(done);
      run.outstanding -= 1;
      if (run.outstanding === 0) this.flushPart(run, true);
      else if (run.results.length >= OUTCOME_BATCH) this.flushPart(run, false);
      else if (!run.timer) run.timer = setTimeout(() => this.flushPart(run, false), PACK_LINGER_MS).unref();
    });
  }

  /** Writes what the round has done since its last part, after that part (parts are contiguous: readers stop at the first missing one). */
  private flushPart(run: PackRun, last: boolean): void {
    if (run.timer) clearTimeout(run.timer);
    run.timer = undefined;
    const part = { n: run.part++, results: run.results.splice(0), spills: run.spills.splice(0), waiters: run.waiters.splice(0) };
    this.background += 1;
    run.writing = run.writing
      .then(() => this.recordPart(run, part))
      .then(() => (last ? this.finishPack(run) : undefined))
      .catch((e) => this.logger.warn(`pack ${run.id} bookkeeping: ${(e as Error).message}`))
      .finally(() => {
        this.background -= 1;
        this.pump();
      });
  }

  /**
   * Records a part of a round once: the retried messages' documents, then the part's outcomes in one
   * document marked `eventsPending`, then its events — published from memory and derived from that
   * record alone (`packEvents`), so the record is its own outbox: nothing else goes through the
   * database for them — then the mark is cleared. The pack's due entry stays until every part is
   * published: after a crash its recovery publishes the events of every part still marked (same event
   * ids: JetStream drops a repeat) before it sends what no part recorded. A crash before a part's
   * outcomes leaves them unrecorded: the next round sends those messages again (at least once, at most
   * once more per crash), except those that already have a document of their own.
   */
  private async recordPart(run: PackRun, part: { n: number; results: PackItemOutcome[]; spills: Delivery[]; waiters: ((ok: boolean) => void)[] }): Promise<void> {
    let recorded = false;
    try {
      if (run.failed) throw new Error('an earlier part of the round was not recorded');
      if (!run.lost) await this.keepPack(run);
      if (part.spills.length) await this.insertNew(part.spills);
      if (part.results.length) {
        const oid = packOutcomeId(run.id, run.round, part.n);
        const pending = part.results.some((o) => o.s !== 'cancelled');
        await this.packOutcomeModel.collection.insertOne({ _id: oid, items: part.results, at: new Date(), ...(pending ? { eventsPending: true } : {}) } as never);
        recorded = true;
        run.recorded += part.results.length;
        if (pending) await this.publishRound(oid, this.packEvents(run.pack, part.results, oid));
      } else recorded = true;
    } catch (e) {
      if (recorded) run.unpublished = true;
      else run.failed = true;
      this.logger.warn(
        recorded
          ? `the events of round ${run.round} of pack ${run.id} are not all published (${(e as Error).message}); its recovery publishes them`
          : `recording round ${run.round} of pack ${run.id} failed: ${(e as Error).message}; its messages are sent again after the lease`,
      );
    }
    for (const done of part.waiters) done(recorded);
  }

  /** The round is over: its due entry goes if every message is recorded and announced; when stopping, the pack is handed on at once. */
  private async finishPack(run: PackRun): Promise<void> {
    this.packs.delete(run.id);
    if (!run.failed && !run.unpublished && !run.lost && run.recorded === run.size) return this.due.cancel(PACK_ENTRY + run.id, run.dueAt);
    if (this.stopped && !run.lost) {
      // Stopping with messages not attempted (or events not published): the next process takes the pack at once.
      const now = new Date();
      await this.leaseModel.updateOne({ _id: run.id, round: run.round, leaseUntil: run.lease }, { $set: { leaseUntil: now } });
      await this.due.schedule(PACK_ENTRY + run.id, now, now);
    }
  }

  /** Publishes a part's events (several at a time; each keeps its id, so a repeat is dropped), then clears its mark. */
  private async publishRound(outcomeId: string, events: EventEnvelope[]): Promise<void> {
    for (let i = 0; i < events.length; i += PUBLISH_AT_ONCE) await Promise.all(events.slice(i, i + PUBLISH_AT_ONCE).map((e) => this.bus.publishEnvelope(e)));
    await this.packOutcomeModel.collection.updateOne({ _id: outcomeId } as never, { $unset: { eventsPending: '' } });
  }

  /**
   * The events a part's record stands for, the same whenever they are derived (when it is written, or
   * by a later round's recovery): one `outbound.outcomes` event listing its deliveries, id = the
   * record's id — or, for a topic with its own `event` hook, the owner's event per delivery
   * (`<deliveryId>.<attempt>`), as for delivery documents.
   */
  private packEvents(pack: DeliveryPack, outcomes: PackItemOutcome[], outcomeId: string): EventEnvelope[] {
    const told = outcomes.filter((o) => o.s !== 'cancelled');
    if (told.length === 0) return [];
    if (this.hooks.get(pack.topic)?.event) {
      const events: EventEnvelope[] = [];
      for (const o of told) {
        const d = this.docOf(pack, o.n, new Date(0));
        const at = new Date(o.at);
        const event =
          o.s === 'sent'
            ? this.eventOf('sent', d, this.outcome(d, o.a, at), at)
            : this.eventOf('failed', d, { ...this.outcome(d, o.a, at), error: o.e ?? '', final: o.s === 'failed' }, at);
        if (event) events.push(event);
      }
      return events;
    }
    const refs = pack.items[told[0].n].refs;
    const sameRefs = told.every((o) => isDeepStrictEqual(pack.items[o.n].refs, refs));
    let last = 0;
    const items: DeliveryOutcomeItem[] = told.map((o) => {
      const item = pack.items[o.n];
      const at = new Date(o.at);
      last = Math.max(last, at.getTime());
      return {
        eventId: `${item.id}.${o.a}`,
        outcome: o.s === 'sent' ? 'sent' : 'failed',
        deliveryId: item.id,
        ...(item.accountId ? { accountId: item.accountId } : {}),
        channel: item.channel,
        to: item.to,
        subject: item.subject,
        attempts: o.a,
        ...(o.s !== 'sent' ? { error: o.e ?? '', final: o.s === 'failed' } : {}),
        ...(!sameRefs && item.refs ? { refs: item.refs } : {}),
        at: at.toISOString(),
      };
    });
    const payload: DeliveryOutcomesPayload = {
      noticeId: pack.noticeId,
      source: pack.source,
      topic: pack.topic,
      ...(sameRefs && refs ? { refs } : {}),
      packId: pack._id,
      outcomes: items,
    };
    return [{ ...outboxEvent(Events.DeliveryOutcomes, payload, new Date(last)), eventId: outcomeId }];
  }

  /** A pack whose lease ended (its writer may have died): the next round sends what no earlier round recorded. */
  private async recoverPack(entry: DueEntry, at: Date): Promise<void> {
    const pid = entry.id.slice(PACK_ENTRY.length);
    if (this.packs.has(pid)) {
      await this.due.schedule(entry.id, new Date(Date.now() + this.config.SLADESK_OUTBOUND_LEASE_MS));
      return this.due.done(entry);
    }
    const pack = await this.packModel.findById(pid).lean<DeliveryPack>();
    // Not written yet (the entry goes first): its writer may still be at it, unless the entry is old.
    if (!pack) return DueIndex.settled(entry, at) ? this.due.done(entry) : undefined;
    const now = new Date(Math.max(Date.now(), at.getTime()));
    const lease = await this.leaseModel.findById(pid).lean<PackLease>();
    if (lease && lease.leaseUntil.getTime() > now.getTime()) {
      await this.due.schedule(entry.id, new Date(lease.leaseUntil.getTime() + 1000));
      return this.due.done(entry);
    }
    const round = lease ? lease.round + 1 : 0;
    const until = new Date(now.getTime() + this.config.SLADESK_OUTBOUND_LEASE_MS);
    const claimed = lease
      ? (await this.leaseModel.updateOne({ _id: pid, round: lease.round, leaseUntil: lease.leaseUntil }, { $set: { round, leaseUntil: until, leaseOwner: this.runtime.instanceId } })).modifiedCount === 1
      : await this.leaseModel.collection
          .insertOne({ _id: pid, noticeId: pack.noticeId, round: 0, leaseUntil: until, leaseOwner: this.runtime.instanceId } as never)
          .then(() => true, (e) => (isDuplicate(e) ? false : Promise.reject(e)));
    if (!claimed) return; // lost a race; the entry stays and is looked at again
    const states = await this.packStates(pid, round, async (o) => {
      if (o.eventsPending) await this.publishRound(o._id, this.packEvents(pack, o.items, o._id));
    });
    const todo: number[] = [];
    for (let n = 0; n < pack.items.length; n++) {
      if (states.has(n)) continue;
      // It moved to a document of its own before a crash kept its round from being recorded: retried there.
      if (round > 0 && (await this.model.exists({ _id: pack.items[n].id }))) continue;
      todo.push(n);
    }
    if (todo.length === 0) return this.due.done(entry);
    const dueAt = new Date(until.getTime() + 1000);
    await this.due.schedule(entry.id, dueAt);
    await this.due.done(entry);
    this.logger.log(`taking over ${todo.length} deliveries of pack ${pid} (round ${round})`);
    this.startPack(pack, round, until, dueAt, todo);
  }

  /** What the rounds before `round` recorded, per message (each round's parts up to its first missing one): the first record of a message wins. */
  private async packStates(pid: string, round: number, each?: (o: PackOutcome) => Promise<void>): Promise<Map<number, PackItemOutcome>> {
    const states = new Map<number, PackItemOutcome>();
    const partsOf = async (r: number) => {
      const parts: PackOutcome[] = [];
      for (let k = 0; ; k++) {
        const part = await this.packOutcomeModel.findById(packOutcomeId(pid, r, k)).lean<PackOutcome>();
        if (!part) return parts;
        parts.push(part);
      }
    };
    const rounds = await Promise.all(Array.from({ length: round }, (_x, r) => partsOf(r)));
    for (const part of rounds.flat()) {
      if (each) await each(part);
      for (const o of part.items) if (!states.has(o.n)) states.set(o.n, o);
    }
    return states;
  }

  /** A pack's message as the notices log shows it. */
  private async viewOf(pack: DeliveryPack, n: number, o: PackItemOutcome | undefined): Promise<Delivery> {
    const item = pack.items[n];
    if (o?.s === 'retry') {
      const own = await this.model.findById(item.id, LIST_PROJECTION).lean<Delivery>();
      if (own) return own;
    }
    const { id, erased: _erased, text: _text, html: _html, headers: _headers, ...rest } = item;
    return {
      _id: id,
      noticeId: pack.noticeId,
      source: pack.source,
      topic: pack.topic,
      ...rest,
      text: '',
      state: !o || o.s === 'retry' ? 'pending' : o.s,
      attempts: o?.a ?? 0,
      nextAttemptAt: pack.createdAt,
      leaseUntil: new Date(0),
      ...(o?.s === 'sent' ? { sentAt: o.at } : {}),
      ...(o ? { lastAttemptAt: o.at } : {}),
      ...(o?.e ? { lastError: o.e } : {}),
      createdAt: pack.createdAt,
    };
  }

  /** Inserts what is not there yet; returns the documents this call inserted. */
  private async insertNew(docs: Delivery[]): Promise<Delivery[]> {
    try {
      await this.model.collection.insertMany(docs as never[], { ordered: false });
      return docs;
    } catch (e) {
      const writeErrors = (e as { writeErrors?: { index?: number; code?: number; err?: { index?: number; code?: number } }[] }).writeErrors;
      if (!Array.isArray(writeErrors)) throw e;
      const failed = new Set<number>();
      for (const w of writeErrors) {
        const code = w.code ?? w.err?.code;
        if (code !== 11000) throw e;
        failed.add((w.index ?? w.err?.index)!);
      }
      return docs.filter((_d, i) => !failed.has(i));
    }
  }
}

const isDuplicate = (e: unknown): boolean => (e as { code?: number })?.code === 11000;

function ignoreDuplicate(e: unknown): void {
  if ((e as { code?: number })?.code !== 11000) throw e;
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
