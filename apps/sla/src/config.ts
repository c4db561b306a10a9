import { ServiceEnv } from '@sladesk/messaging';
import { Type } from 'class-transformer';
import { IsInt, IsNumber, Max, Min } from 'class-validator';

/** Settings of the sla service (environment variables; validated at boot). */
export class SlaEnv extends ServiceEnv {
  /** How far ahead timer slots are claimed and their timers loaded into memory. */
  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  SLADESK_SLA_TIMER_HORIZON_MS: number = 60_000;

  /** Width of a timer slot (grouping of due times in MongoDB). Fixed by the first instance ever started. */
  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  SLADESK_SLA_TIMER_SLOT_MS: number = 10_000;

  /** A slot whose owner stops renewing it is taken over after this long. */
  @Type(() => Number) @IsInt() @Min(500) @Max(600_000)
  SLADESK_SLA_TIMER_LEASE_MS: number = 5_000;

  /** How often the wheel looks for new slots and timers (new near-term timers are also announced over NATS). */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000)
  SLADESK_SLA_TIMER_POLL_MS: number = 500;

  /** Memory bound: while this many timers are in memory, slots beyond the next are loaded later. */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_SLA_TIMER_MAX_LOADED: number = 100_000;

  /** Timer handlers running at once. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  SLADESK_SLA_TIMER_CONCURRENCY: number = 16;

  /** Documents of closed timer slots are deleted after this long (0 keeps them). */
  @Type(() => Number) @IsInt() @Min(0)
  SLADESK_SLA_TIMER_RETENTION_MS: number = 3_600_000;

  /** At start, overdue timers wait (at most this long) for the case-event consumers to catch up. */
  @Type(() => Number) @IsInt() @Min(0) @Max(600_000)
  SLADESK_SLA_CATCHUP_MAX_MS: number = 5_000;

  /** Warning threshold of the seeded policy and of policies created without one (fraction of the goal). */
  @Type(() => Number) @IsNumber() @Min(0.01) @Max(0.99)
  SLADESK_SLA_WARNING_THRESHOLD: number = 0.75;


  /** How often calendars and policies are re-read (changes are also announced over NATS). */
  @Type(() => Number) @IsInt() @Min(100) @Max(600_000)
  SLADESK_SLA_REGISTRY_REFRESH_MS: number = 5_000;

  /** Case histories kept in memory. */
  @Type(() => Number) @IsInt() @Min(10)
  SLADESK_SLA_CASE_CACHE: number = 20_000;
}
