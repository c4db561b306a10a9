// Contracts of outbound delivery (libs/outbound): every message the product sends to a customer or
// staff member, by email, as an Intercom message or as a reply in an Intercom conversation, and what
// became of it — one event per delivery, or one per recorded part of a pack (`outbound.outcomes`).
// Published by whichever service owns the delivery (maintenance: these subjects; escalation: its own
// `notification.*`; intake's replies publish none); the notices log report reads them.
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

/**
 * `intercom`: an in-app message to an Intercom user (`to` = the user id); `intercom-reply`: a reply in
 * an Intercom conversation (`to` = the conversation id, from the admin the message names).
 */
export const OUTBOUND_CHANNELS = ['email', 'intercom', 'intercom-reply'] as const;
export type OutboundChannel = (typeof OUTBOUND_CHANNELS)[number];

/** What one attempt of one delivery came to: the fields its single event and its item in a part's event share. */
export class DeliveryAttemptFields {
  /** Deterministic: the same notice, recipient and channel always have the same id. */
  @IsString() deliveryId!: string;
  @IsOptional() @IsString() accountId?: string;
  @IsIn(OUTBOUND_CHANNELS) channel!: OutboundChannel;
  /** An email address, the Intercom user id, or the Intercom conversation id. */
  @IsString() to!: string;
  @IsString() subject!: string;
  @IsInt() @Min(1) attempts!: number;
  @IsOptional() @IsString() error?: string;
  /** For a failure: true when no further attempt will be made. */
  @IsOptional() @IsBoolean() final?: boolean;
  @IsISO8601() at!: string;
}

/** What became of one delivery (one notice, one recipient, one channel). */
export class DeliveryOutcomePayload extends DeliveryAttemptFields {
  /** The notice (or other message) the delivery carries. */
  @IsString() noticeId!: string;
  /** The service that asked for it, e.g. `maintenance`. */
  @IsString() source!: string;
  /** What the notice is about, e.g. `window.reminder`. */
  @IsString() topic!: string;
  /** Ids the caller attached, e.g. `{ windowId }`. */
  @IsOptional() @IsObject() refs?: Record<string, string>;
}

/** One delivery's outcome in a `DeliveryOutcomesPayload`: what a single `outbound.sent|failed` event would say of it. */
export class DeliveryOutcomeItem extends DeliveryAttemptFields {
  /** The id the single event of this attempt has (`<deliveryId>.<attempt>`): a reader applies an attempt once, however it came. */
  @IsString() eventId!: string;
  @IsIn(['sent', 'failed']) outcome!: 'sent' | 'failed';
  /** Only when the deliveries listed carry different ones (otherwise the event's `refs`). */
  @IsOptional() @IsObject() refs?: Record<string, string>;
}

/**
 * The outcomes of up to 100 deliveries of one notice, recorded together (one part of a round of an
 * outbound pack: a fan-out's page of deliveries): one event instead of one per delivery. Its eventId
 * is the record's id (`<pack>:<round>:<part>`), so a republished part is dropped by JetStream.
 */
export class DeliveryOutcomesPayload {
  @IsString() noticeId!: string;
  @IsString() source!: string;
  @IsString() topic!: string;
  /** Ids the caller attached, the same for every delivery listed, e.g. `{ windowId }`. */
  @IsOptional() @IsObject() refs?: Record<string, string>;
  /** The pack the deliveries belong to. */
  @IsString() packId!: string;
  @IsArray() @ArrayMaxSize(1000) @ValidateNested({ each: true }) @Type(() => DeliveryOutcomeItem) outcomes!: DeliveryOutcomeItem[];
}

/** Events. DO NOT RENAME a published subject. */
export const OutboundEvents = {
  /** One delivery (delivery documents: retries, single sends). */
  DeliverySent: 'sladesk.evt.outbound.sent.v1',
  DeliveryFailed: 'sladesk.evt.outbound.failed.v1',
  /** Many deliveries of one notice at once (fan-outs, `packed`): sent and failed alike. */
  DeliveryOutcomes: 'sladesk.evt.outbound.outcomes.v1',
} as const;

export interface OutboundEventMap {
  [OutboundEvents.DeliverySent]: DeliveryOutcomePayload;
  [OutboundEvents.DeliveryFailed]: DeliveryOutcomePayload;
  [OutboundEvents.DeliveryOutcomes]: DeliveryOutcomesPayload;
}

export const OutboundEventClasses = {
  [OutboundEvents.DeliverySent]: DeliveryOutcomePayload,
  [OutboundEvents.DeliveryFailed]: DeliveryOutcomePayload,
  [OutboundEvents.DeliveryOutcomes]: DeliveryOutcomesPayload,
};
