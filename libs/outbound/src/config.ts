import { ServiceEnv } from '@sladesk/messaging';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/**
 * The settings of outbound delivery, one set of names for every service that sends to customers:
 * extend it instead of `ServiceEnv` (e.g. `class MaintenanceEnv extends OutboundEnv`).
 */
export class OutboundEnv extends ServiceEnv {
  /** Where mail goes (our relay or the customer's), e.g. smtp://user:pass@relay:587. */
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SLADESK_SMTP_URL must look like smtp://host:port' })
  SLADESK_SMTP_URL: string = 'smtp://127.0.0.1:1025';

  /** The From of every notice, e.g. notices@vendor.example (its domain names our Message-IDs). */
  @IsEmail()
  SLADESK_MAIL_FROM: string = 'notices@sladesk.local';

  /** Intercom REST API base (a local fake in tests). */
  @Matches(/^https?:\/\/\S+$/, { message: 'SLADESK_INTERCOM_API_URL must be an http(s) URL' })
  SLADESK_INTERCOM_API_URL: string = 'https://api.intercom.io';

  /** Access token for Intercom; without it Intercom deliveries fail for good (and are recorded so). */
  @IsOptional() @IsString()
  SLADESK_INTERCOM_TOKEN?: string;

  /** The Intercom admin our messages come from. */
  @IsOptional() @IsString()
  SLADESK_INTERCOM_ADMIN_ID?: string;

  /** Attempts before a delivery is recorded as failed. */
  @Type(() => Number) @IsInt() @Min(1) @Max(50)
  SLADESK_OUTBOUND_MAX_ATTEMPTS: number = 8;

  /** First retry delay of a failed attempt, in ms; doubles per attempt, at most one hour. */
  @Type(() => Number) @IsInt() @Min(10)
  SLADESK_OUTBOUND_RETRY_MS: number = 5_000;

  /** Deliveries in flight at once per process. */
  @Type(() => Number) @IsInt() @Min(1) @Max(500)
  SLADESK_OUTBOUND_CONCURRENCY: number = 32;

  /**
   * At most this many messages started (handed to the mail server or Intercom) whose outcome is not yet
   * recorded, per process: the most a killed process can send twice. 0: no bound but the concurrency.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(1000)
  SLADESK_OUTBOUND_MAX_UNRECORDED: number = 0;

  /** Pooled SMTP connections per process. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100)
  SLADESK_OUTBOUND_SMTP_CONNECTIONS: number = 8;

  /** How often the due index is read for retries and for deliveries a crash left behind, in ms. */
  @Type(() => Number) @IsInt() @Min(50)
  SLADESK_OUTBOUND_TICK_MS: number = 1_000;

  /** How long a process owns a delivery it is sending; another one takes over after that. */
  @Type(() => Number) @IsInt() @Min(1_000)
  SLADESK_OUTBOUND_LEASE_MS: number = 60_000;
}
