import { ServiceEnv } from '@sladesk/messaging';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

export class GatewayEnv extends ServiceEnv {
  @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  /** An API key with every right; seeded from the environment at start. */
  @IsOptional() @IsString() @MinLength(16, { message: 'SLADESK_ADMIN_API_KEY must be at least 16 characters' })
  SLADESK_ADMIN_API_KEY?: string;

  /** Largest accepted request body, in bytes. */
  @IsInt() @Min(1024)
  SLADESK_BODY_LIMIT = 1_048_576;

  /** How long the gateway waits for a service to answer, in ms. */
  @IsInt() @Min(100)
  SLADESK_RPC_TIMEOUT_MS = 10_000;
}
