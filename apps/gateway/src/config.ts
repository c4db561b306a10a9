import { ServiceEnv } from '@sladesk/messaging';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';

/** Algorithms a token from the identity provider may be signed with: asymmetric only (no `none`, no HMAC). */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const list = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

export class GatewayEnv extends ServiceEnv {
  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  PORT: number = 3000;

  @IsString()
  HOST: string = '127.0.0.1';

  /** An API key with every right; seeded from the environment at start. */
  @IsOptional() @IsString() @MinLength(16, { message: 'SLADESK_ADMIN_API_KEY must be at least 16 characters' })
  SLADESK_ADMIN_API_KEY?: string;

  /**
   * The server secret API keys are hashed with (HMAC-SHA256): a stolen copy of the keys collection
   * is useless without it. Every gateway instance needs the same one; required in production.
   */
  @ValidateIf((o: GatewayEnv) => o.production || o.SLADESK_API_KEY_PEPPER !== undefined)
  @IsString() @MinLength(32, { message: 'SLADESK_API_KEY_PEPPER must be at least 32 characters (required in production)' })
  SLADESK_API_KEY_PEPPER?: string;

  /** How long an instance trusts what it read about a key (revocations arrive on NATS at once; this bounds a missed one). */
  @Type(() => Number) @IsInt() @Min(0)
  SLADESK_API_KEY_CACHE_MS: number = 30_000;

  /** A key's last use is written at most this often per instance. */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_API_KEY_LAST_USED_MS: number = 60_000;

  /** Largest accepted request body, in bytes. */
  @Type(() => Number) @IsInt() @Min(1024)
  SLADESK_BODY_LIMIT: number = 1_048_576;

  /** How long the gateway waits for a service to answer, in ms. */
  @Type(() => Number) @IsInt() @Min(100)
  SLADESK_RPC_TIMEOUT_MS: number = 10_000;

  /** On stop, how long requests in flight may take before their connections are closed, in ms. */
  @Type(() => Number) @IsInt() @Min(0)
  SLADESK_SHUTDOWN_GRACE_MS: number = 15_000;

  // ---- rate limits (fixed windows shared by every instance, in MongoDB) ----

  /** Length of a rate-limit window, in ms. */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_RATE_LIMIT_WINDOW_MS: number = 60_000;

  /** Requests per window for one key or token subject; 0 turns the limit off. */
  @Type(() => Number) @IsInt() @Min(0)
  SLADESK_RATE_LIMIT_PER_KEY: number = 1200;

  /** Requests per window from one source address (authenticated or not); 0 turns the limit off. */
  @Type(() => Number) @IsInt() @Min(0)
  SLADESK_RATE_LIMIT_PER_IP: number = 2400;

  /** How often windows that ended are deleted (FerretDB has no TTL indexes). */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_RATE_LIMIT_SWEEP_MS: number = 60_000;

  /**
   * Whose X-Forwarded-For is believed (Fastify's trustProxy): `false`, `true`, a hop count, or
   * addresses/CIDRs, comma-separated. Default: proxies on this host only.
   */
  @IsString()
  SLADESK_TRUST_PROXY: string = 'loopback';

  /** Origins allowed to call the API from a browser (CORS), comma-separated; none by default. */
  @Transform(list) @IsUrl({ require_tld: false, require_protocol: true }, { each: true, message: 'SLADESK_CORS_ORIGINS must be origins like https://app.example.com' })
  SLADESK_CORS_ORIGINS: string[] = [];

  // ---- OpenID Connect (optional): JWTs from the organisation's identity provider ----

  /** The issuer (`iss`) tokens must name; OIDC is off when unset. */
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true })
  SLADESK_OIDC_ISSUER?: string;

  /** The audience (`aud`) tokens must name. */
  @ValidateIf((o: GatewayEnv) => !!o.SLADESK_OIDC_ISSUER) @IsString() @MinLength(1, { message: 'SLADESK_OIDC_AUDIENCE is required with SLADESK_OIDC_ISSUER' })
  SLADESK_OIDC_AUDIENCE?: string;

  /** Where the issuer's keys are; default `<issuer>/.well-known/jwks.json`. */
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true })
  SLADESK_OIDC_JWKS_URL?: string;

  /** The claim holding the caller's roles (a dotted path, e.g. `realm_access.roles`); an array or a space-separated string. */
  @IsString() @Matches(/^[A-Za-z0-9_:/.-]+$/)
  SLADESK_OIDC_ROLES_CLAIM: string = 'roles';

  /** The claim holding the account an `integration` caller is confined to. */
  @IsString() @Matches(/^[A-Za-z0-9_:/.-]+$/)
  SLADESK_OIDC_ACCOUNT_CLAIM: string = 'sladesk_account';

  /** Signature algorithms accepted, comma-separated; asymmetric only. */
  @Transform(list) @IsIn(OIDC_ALGORITHMS, { each: true, message: `SLADESK_OIDC_ALGORITHMS may only name ${OIDC_ALGORITHMS.join(', ')}` })
  SLADESK_OIDC_ALGORITHMS: string[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

  /** Clock skew tolerated on exp/nbf, in seconds. */
  @Type(() => Number) @IsInt() @Min(0) @Max(300)
  SLADESK_OIDC_CLOCK_TOLERANCE_S: number = 30;
}
