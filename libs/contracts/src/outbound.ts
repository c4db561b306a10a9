// Contracts of outbound delivery (libs/outbound): every message the product sends to a customer or
// staff member, by email, as an Intercom message or as a reply in an Intercom conversation, and what
// became of it. Published by whichever service owns the delivery (maintenance: these subjects;
// escalation: its own `notification.*`; intake's replies publish none); the notices log report reads them.
import { IsBoolean, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Min } from 'class-validator';

/**
 * `intercom`: an in-app message to an Intercom user (`to` = the user id); `intercom-reply`: a reply in
 * an Intercom conversation (`to` = the conversation id, from the admin the message names).
 */
export const OUTBOUND_CHANNELS = ['email', 'intercom', 'intercom-reply'] as const;
export type OutboundChannel = (typeof OUTBOUND_CHANNELS)[number];

/** What became of one delivery (one notice, one recipient, one channel). */
export class DeliveryOutcomePayload {
  /** Deterministic: the same notice, recipient and channel always have the same id. */
  @IsString() deliveryId!: string;
  /** The notice (or other message) the delivery carries. */
  @IsString() noticeId!: string;
  /** The service that asked for it, e.g. `maintenance`. */
  @IsString() source!: string;
  /** What the notice is about, e.g. `window.reminder`. */
  @IsString() topic!: string;
  @IsOptional() @IsString() accountId?: string;
  @IsIn(OUTBOUND_CHANNELS) channel!: OutboundChannel;
  /** An email address, the Intercom user id, or the Intercom conversation id. */
  @IsString() to!: string;
  @IsString() subject!: string;
  @IsInt() @Min(1) attempts!: number;
  @IsOptional() @IsString() error?: string;
  /** For a failure: true when no further attempt will be made. */
  @IsOptional() @IsBoolean() final?: boolean;
  /** Ids the caller attached, e.g. `{ windowId }`. */
  @IsOptional() @IsObject() refs?: Record<string, string>;
  @IsISO8601() at!: string;
}

/** Events. DO NOT RENAME a published subject. */
export const OutboundEvents = {
  DeliverySent: 'sladesk.evt.outbound.sent.v1',
  DeliveryFailed: 'sladesk.evt.outbound.failed.v1',
} as const;

export interface OutboundEventMap {
  [OutboundEvents.DeliverySent]: DeliveryOutcomePayload;
  [OutboundEvents.DeliveryFailed]: DeliveryOutcomePayload;
}

export const OutboundEventClasses = {
  [OutboundEvents.DeliverySent]: DeliveryOutcomePayload,
  [OutboundEvents.DeliveryFailed]: DeliveryOutcomePayload,
};
