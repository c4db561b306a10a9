import { ServiceEnv } from '@sladesk/messaging';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

export class GatewayEnv extends ServiceEnv {
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  PORT: number = 3000;

  @IsString()
  HOST: string = '127.0.0.1';

  /** An API key with every right; seeded from the environment at start. */
  @IsOptional() @IsString() @MinLength(16, { message: 'SLADESK_ADMIN_API_KEY must be at least 16 characters' })
  SLADESK_ADMIN_API_KEY?: string;

  /** Largest accepted request body, in bytes. */
  @Type(() => Number) @IsInt() @Min(1024)
  SLADESK_BODY_LIMIT: number = 1_048_576;

  /** How long the gateway waits for a service to answer, in ms. */
  @Type(() => Number) @IsInt() @Min(100)
  SLADESK_RPC_TIMEOUT_MS: number = 10_000;

  /** On stop, how long requests in flight may take before their connections are closed, in ms. */
  @Type(() => Number) @IsInt() @Min(0)
  SLADESK_SHUTDOWN_GRACE_MS: number = 15_000;
}
