import { EnvBoolean } from '@sladesk/messaging';
import { OutboundEnv } from '@sladesk/outbound';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsTimeZone, Matches, Min } from 'class-validator';

/**
 * Reporting's settings. The digest's mail (SLADESK_SMTP_URL, SLADESK_MAIL_FROM, SLADESK_OUTBOUND_*)
 * comes with OutboundEnv: the digest is mailed by `@sladesk/outbound`, as escalation's notifications are.
 */
export class ReportingEnv extends OutboundEnv {
  /** A report expected to have more rows than this is written as an export job instead of one reply. */
  @Type(() => Number) @IsInt() @Min(1)
  SLADESK_REPORT_INLINE_MAX_ROWS: number = 2000;

  /** How often export jobs left queued or abandoned (an instance died) are looked for. */
  @Type(() => Number) @IsInt() @Min(100)
  SLADESK_EXPORT_SWEEP_MS: number = 10_000;

  /** A running export not heard from for this long is taken over by another instance. */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_EXPORT_LEASE_MS: number = 60_000;

  /** Finished exports (their files) are deleted after this many days. */
  @Type(() => Number) @IsInt() @Min(1)
  SLADESK_EXPORT_KEEP_DAYS: number = 7;

  /** How often counter delta ids are pruned from the buckets. */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_REPORTING_PRUNE_MS: number = 3_600_000;

  /** Counter delta ids are kept this long (a redelivery within it is recognised). */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_REPORTING_DELTA_KEEP_MS: number = 86_400_000;

  /**
   * A delta id this process applied is taken out of its bucket by the process's next write to that
   * bucket once it is this old (so a busy bucket holds minutes of ids, not a day's); only a handler
   * stalled longer than this between reading an entity and applying its delta could count it twice.
   * Ids a stopped process leaves behind are pruned after SLADESK_REPORTING_DELTA_KEEP_MS.
   */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_REPORTING_DELTA_RELEASE_MS: number = 600_000;

  /**
   * A delta id whose entity has forgotten it (handed over and no longer pending) leaves its bucket with
   * this process's next write there once this long has passed since: only a second delivery of the
   * same event, which read the entity just before it forgot, could hand the delta over again, and it
   * does so right after that read (the wait is its bucket write's queue). At most the release time.
   */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_REPORTING_DELTA_GRACE_MS: number = 10_000;

  /** When the monthly executive digest of the previous month is made (cron with seconds optional). */
  @Matches(/^(\S+\s+){4,5}\S+$/, { message: 'SLADESK_DIGEST_CRON must be a cron expression such as "0 7 1 * *"' })
  SLADESK_DIGEST_CRON: string = '0 7 1 * *';

  @IsTimeZone()
  SLADESK_DIGEST_TIMEZONE: string = 'America/New_York';

  @EnvBoolean()
  SLADESK_DIGEST_ENABLED: boolean = true;

  /** The From of the digest mail (escalation's default: both mail staff). */
  @IsEmail()
  override SLADESK_MAIL_FROM: string = 'sla-desk@localhost.localdomain';

  /**
   * A refused digest mail is retried for about 17 hours before it is recorded as failed (30 s doubling
   * to outbound's one-hour cap, 24 attempts): a monthly mail to a few executives can wait out a relay outage.
   */
  override SLADESK_OUTBOUND_MAX_ATTEMPTS: number = 24;
  override SLADESK_OUTBOUND_RETRY_MS: number = 30_000;

  /** One digest mail at a time between the relay's accept and its record: a SIGKILL mails at most one executive twice. */
  override SLADESK_OUTBOUND_MAX_UNRECORDED: number = 1;

  /** Outbound's due index is read every 5 s, not every second: a digest mail is sent at once, its retries wait 30 s and more. */
  override SLADESK_OUTBOUND_TICK_MS: number = 5_000;
}
