import { EnvBoolean } from '@sladesk/messaging';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { SlaEnv } from '../config';

/** Settings of the availability module (environment variables, validated at boot with the sla service's own). */
export class AvailabilityEnv extends SlaEnv {
  /** Whether this instance runs probes (one instance at a time does, by lease). */
  @EnvBoolean()
  SLADESK_AVAILABILITY_PROBES: boolean = true;

  /** The probing instance's lease; another instance takes over this long after it stops renewing. */
  @Type(() => Number) @IsInt() @Min(1000) @Max(600_000)
  SLADESK_AVAILABILITY_PROBE_LEASE_MS: number = 10_000;

  /** How often the probe loop looks for checks due (each probe runs at its own interval). */
  @Type(() => Number) @IsInt() @Min(50) @Max(10_000)
  SLADESK_AVAILABILITY_PROBE_TICK_MS: number = 250;

  /** How often probe configurations are re-read from the components (changes on this instance apply at once). */
  @Type(() => Number) @IsInt() @Min(100) @Max(600_000)
  SLADESK_AVAILABILITY_REFRESH_MS: number = 5_000;

  /** A breach already past when computed (an incident recorded afterwards) is published this much later, if still certain. */
  @Type(() => Number) @IsInt() @Min(0) @Max(600_000)
  SLADESK_AVAILABILITY_SETTLE_MS: number = 5_000;

  /** Checks running at once. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  SLADESK_AVAILABILITY_PROBE_CONCURRENCY: number = 32;
}
