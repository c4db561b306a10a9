import { EventEnvelope, OutboundChannel } from '@sladesk/contracts';
import { OutboxEntrySchema, outboxPlugin, WithOutbox } from '@sladesk/messaging';
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { createHash } from 'node:crypto';
import { Schema as MongooseSchema } from 'mongoose';

/**
 * A file a mail carries, stored by reference: the delivery keeps its name, type and the owner's `ref`
 * (e.g. `export:<id>`), and the topic's `TopicHooks.attachment` reads the bytes at each attempt. So a
 * file mailed to many recipients is stored once, by its owner, and no delivery or pack document grows
 * with it (MongoDB's limit is 16 MB per document).
 */
export interface OutboundAttachment {
  filename: string;
  contentType: string;
  /** The owner's name for the bytes, handed to its `attachment` hook. */
  ref: string;
}

/** `cancelled`: its owner no longer wanted it when it was due (TopicHooks.stillWanted). */
export type DeliveryState = 'pending' | 'sent' | 'failed' | 'cancelled';

/**
 * One message to one recipient on one channel. `_id` is derived from (notice, channel, recipient), or
 * chosen (deterministically) by the caller, so a repeated fan-out, a retry or a second instance finds
 * the same document instead of making another.
 */
@Schema({ collection: 'outbound_deliveries', versionKey: false, minimize: false })
export class Delivery {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) noticeId!: string;
  /** The service that asked for it. */
  @Prop({ required: true }) source!: string;
  @Prop({ required: true }) topic!: string;
  @Prop() accountId?: string;
  @Prop({ type: String, required: true }) channel!: OutboundChannel;
  /** Email address, Intercom user id, or (`intercom-reply`) Intercom conversation id. */
  @Prop({ required: true }) to!: string;
  @Prop() toName?: string;
  /**
   * Who it is from on its channel, when not the service's default: the From address of a mail
   * (default SLADESK_MAIL_FROM), the Intercom admin id of an Intercom message or reply (default
   * SLADESK_INTERCOM_ADMIN_ID).
   */
  @Prop() from?: string;
  /** The mail's Message-ID (`<…@…>`), when the caller chose it (default `<deliveryId@SLADESK_MAIL_FROM's domain>`). */
  @Prop() messageId?: string;
  @Prop({ required: true }) subject!: string;
  @Prop({ required: true }) text!: string;
  @Prop() html?: string;
  /** Extra mail headers, e.g. List-Unsubscribe. */
  @Prop({ type: MongooseSchema.Types.Mixed }) headers?: Record<string, string>;
  /** Files the mail carries (email only), by reference: see OutboundAttachment. */
  @Prop({ type: [MongooseSchema.Types.Mixed], default: undefined }) attachments?: OutboundAttachment[];
  @Prop({ type: MongooseSchema.Types.Mixed }) refs?: Record<string, string>;
  @Prop({ type: String, required: true }) state!: DeliveryState;
  @Prop({ default: 0 }) attempts!: number;
  /** Not before (the first attempt of a held message, or the next retry). */
  @Prop({ required: true }) nextAttemptAt!: Date;
  /** The process sending it owns it until then. */
  @Prop({ required: true }) leaseUntil!: Date;
  @Prop() leaseOwner?: string;
  @Prop() lastError?: string;
  @Prop() sentAt?: Date;
  /** When the latest attempt ended. */
  @Prop() lastAttemptAt?: Date;
  @Prop({ required: true }) createdAt!: Date;
  /** The pack it was first attempted from (it left the pack to be retried on its own). */
  @Prop() pack?: string;
}
export const DeliverySchema = SchemaFactory.createForClass(Delivery);
// For MongoDB: the notices log lists a notice's deliveries. Hot paths read deliveries by `_id` only
// (the due index finds what is due), and every index costs each of the many writes here.
DeliverySchema.index({ noticeId: 1, _id: 1 });

/**
 * The deliveries one `enqueue` call wrote, as one unit of recovery: a single due-index entry covers
 * them all (scheduling one entry per delivery would rewrite one bucket document thousands of times).
 */
@Schema({ collection: 'outbound_batches', versionKey: false })
export class DeliveryBatch {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: [String], required: true }) ids!: string[];
  @Prop({ required: true }) createdAt!: Date;
}
export const DeliveryBatchSchema = SchemaFactory.createForClass(DeliveryBatch);

/**
 * The outcome events of a group of deliveries, written before their states (so no recorded outcome is
 * without its event) and deleted by the outbox relay once published: one document per flush instead
 * of an outbox write and clear on every delivery.
 */
@Schema({ collection: 'outbound_outcomes', versionKey: false })
export class OutcomeLog implements WithOutbox {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) createdAt!: Date;
  @Prop({ type: [OutboxEntrySchema], default: [] }) outbox!: EventEnvelope[];
}
export const OutcomeLogSchema = SchemaFactory.createForClass(OutcomeLog);
OutcomeLogSchema.plugin(outboxPlugin);

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 27);

/** The id of the delivery of `noticeId` to `to` on `channel`: the same inputs, the same id. */
export const deliveryId = (noticeId: string, channel: OutboundChannel, to: string): string =>
  `dlv_${hash(noticeId, channel, to.toLowerCase())}`;

/** The id of a batch, from the caller's key (e.g. notice and page). */
export const batchId = (key: string): string => `bat_${hash(key)}`;

/**
 * One message of a pack: the content of one delivery (its id as `id`). `erased`: its recipient was
 * erased after it was packed; it is not sent.
 */
export interface PackItem {
  id: string;
  channel: OutboundChannel;
  to: string;
  toName?: string;
  from?: string;
  messageId?: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: OutboundAttachment[];
  accountId?: string;
  refs?: Record<string, string>;
  erased?: boolean;
}

/**
 * The deliveries of one `enqueue` call with `packed: true`, as one immutable document: one insert
 * records them all (a fan-out's cost on FerretDB is per document written). Their states are derived
 * from the pack's lease (`PackLease`) and outcome records (`PackOutcome`); a delivery whose attempt
 * failed and will be retried leaves the pack for a delivery document of its own (`Delivery.pack`).
 */
@Schema({ collection: 'outbound_packs', versionKey: false, minimize: false })
export class DeliveryPack {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) noticeId!: string;
  @Prop({ required: true }) source!: string;
  @Prop({ required: true }) topic!: string;
  @Prop({ type: [MongooseSchema.Types.Mixed], required: true }) items!: PackItem[];
  @Prop({ required: true }) createdAt!: Date;
}
export const DeliveryPackSchema = SchemaFactory.createForClass(DeliveryPack);

/**
 * Who sends a pack now: `round` counts the takeovers (0 = its writer), each round records its
 * outcomes in parts, `PackOutcome <pack>:<round>:<part>`. Small, so that claiming never rewrites the pack.
 */
@Schema({ collection: 'outbound_pack_leases', versionKey: false })
export class PackLease {
  @Prop({ type: String, required: true }) _id!: string;
  /** For the notices log: the packs of a notice without reading the packs. */
  @Prop({ required: true }) noticeId!: string;
  @Prop({ required: true }) round!: number;
  @Prop({ required: true }) leaseUntil!: Date;
  @Prop() leaseOwner?: string;
}
export const PackLeaseSchema = SchemaFactory.createForClass(PackLease);
PackLeaseSchema.index({ noticeId: 1, _id: 1 });

/** How a message's attempt in a round ended: `retry` = moved to a delivery document of its own. */
export type PackItemState = 'sent' | 'failed' | 'cancelled' | 'retry';

export interface PackItemOutcome {
  /** The item's index in the pack. */
  n: number;
  s: PackItemState;
  /** Attempts in this round (1), for the derived view. */
  a: number;
  at: Date;
  e?: string;
}

/**
 * Outcomes of one round of a pack, written once per part of the round (`_id` `<pack>:<round>:<part>`,
 * parts numbered from 0 without gaps): the record of their states and the source of their events
 * (see `Outbound.recordPart`).
 */
@Schema({ collection: 'outbound_pack_outcomes', versionKey: false })
export class PackOutcome {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ type: [MongooseSchema.Types.Mixed], required: true }) items!: PackItemOutcome[];
  @Prop({ required: true }) at!: Date;
  /** The round's outcome events (derived from `items`) are not all published yet. */
  @Prop() eventsPending?: boolean;
}
export const PackOutcomeSchema = SchemaFactory.createForClass(PackOutcome);

/** The id of a pack, from the caller's batch key. */
export const packId = (key: string): string => `pck_${hash(key)}`;
export const packOutcomeId = (pack: string, round: number, part: number): string => `${pack}:${round}:${part}`;
