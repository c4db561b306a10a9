import { OutboundEnv } from '@sladesk/outbound';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsTimeZone, Matches, Min } from 'class-validator';

/**
 * Escalation's settings. Notification delivery's (SLADESK_SMTP_URL, SLADESK_MAIL_FROM,
 * SLADESK_OUTBOUND_*) come with OutboundEnv: notifications are sent by `@sladesk/outbound`.
 */
export class EscalationEnv extends OutboundEnv {
  /** The From of staff notifications. */
  @IsEmail()
  override SLADESK_MAIL_FROM: string = 'sla-desk@localhost.localdomain';

  /** Attempts before a notification is marked failed (escalation's default; maintenance's notices have 8). */
  override SLADESK_OUTBOUND_MAX_ATTEMPTS: number = 5;

  /**
   * One notification at a time between the mail server's accept and its recorded outcome (as escalation
   * always sent them): a SIGKILL mails at most one twice. Staff notifications are few; notices are many.
   */
  override SLADESK_OUTBOUND_MAX_UNRECORDED: number = 1;

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

  /** Former name of SLADESK_OUTBOUND_MAX_ATTEMPTS, still read (and winning) when set. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1)
  SLADESK_NOTIFY_MAX_ATTEMPTS?: number;

  /** Former name of SLADESK_OUTBOUND_RETRY_MS, still read (and winning) when set. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(10)
  SLADESK_NOTIFY_RETRY_MS?: number;
}

/** The settings outbound delivery reads, with the former SLADESK_NOTIFY_* names applied. */
export function outboundSettings(c: EscalationEnv): EscalationEnv {
  return Object.assign(new EscalationEnv(), c, {
    SLADESK_OUTBOUND_MAX_ATTEMPTS: c.SLADESK_NOTIFY_MAX_ATTEMPTS ?? c.SLADESK_OUTBOUND_MAX_ATTEMPTS,
    SLADESK_OUTBOUND_RETRY_MS: c.SLADESK_NOTIFY_RETRY_MS ?? c.SLADESK_OUTBOUND_RETRY_MS,
  });
}
