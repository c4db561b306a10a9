import { ServiceEnv } from '@sladesk/messaging';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, IsTimeZone, Matches, Min } from 'class-validator';

export class EscalationEnv extends ServiceEnv {
  /** Where notification mail goes (the customer's or our relay), e.g. smtp://user:pass@relay:587. */
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SLADESK_SMTP_URL must look like smtp://host:port' })
  SLADESK_SMTP_URL: string = 'smtp://127.0.0.1:1025';

  @IsEmail()
  SLADESK_MAIL_FROM: string = 'sla-desk@localhost.localdomain';

  /** Intercom REST API base for notes on conversations; notes are skipped when unset. */
  @IsOptional() @Matches(/^https?:\/\/\S+$/)
  SLADESK_INTERCOM_API_URL?: string;

  @IsOptional() @IsString()
  SLADESK_INTERCOM_TOKEN?: string;

  /** Working hours of staff for non-critical notifications, in their time zone (or this default). */
  @IsTimeZone()
  SLADESK_STAFF_TIMEZONE: string = 'America/New_York';

  @Matches(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, { message: 'SLADESK_STAFF_HOURS must look like 09:00-18:00' })
  SLADESK_STAFF_HOURS: string = '09:00-18:00';

  /** How often due notifications, acknowledgement timeouts and unresolved cases are checked. */
  @Type(() => Number) @IsInt() @Min(50)
  SLADESK_ESCALATION_TICK_MS: number = 1000;

  /**
   * How often the background repair re-indexes overdue items the due-time indexes missed (it reads
   * whole collections on FerretDB, so it is kept rare).
   */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_ESCALATION_REPAIR_MS: number = 900_000;

  /** Delivery attempts before a notification is marked failed. */
  @Type(() => Number) @IsInt() @Min(1)
  SLADESK_NOTIFY_MAX_ATTEMPTS: number = 5;

  /** First retry delay of a failed delivery; doubles per attempt. */
  @Type(() => Number) @IsInt() @Min(10)
  SLADESK_NOTIFY_RETRY_MS: number = 5000;
}
