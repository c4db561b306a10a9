import { plainToInstance, Transform } from 'class-transformer';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Min, validateSync } from 'class-validator';

/**
 * A boolean environment variable: `true`/`1` or `false`/`0`, anything else refused at boot. It reads the
 * raw variable (`obj[key]`): `loadConfig`'s implicit conversion has already made any non-empty string,
 * 'false' too, `true`.
 */
export function EnvBoolean(): PropertyDecorator {
  const transform = Transform(({ obj, key, value }: { obj: Record<string, unknown>; key: string; value: unknown }) => {
    const raw = typeof obj[key] === 'string' ? obj[key] : value;
    return raw === 'false' || raw === '0' ? false : raw === 'true' || raw === '1' ? true : raw;
  });
  const check = IsBoolean();
  return (target, property) => {
    transform(target, property);
    check(target, property);
  };
}

/** Settings every service reads from the environment; a service class extends it with its own. */
export class ServiceEnv {
  @Matches(/^(nats|tls|ws|wss):\/\/\S+$/, { message: 'NATS_URL must look like nats://host:4222' })
  NATS_URL: string = 'nats://127.0.0.1:4222';

  @Matches(/^mongodb(\+srv)?:\/\/\S+$/, { message: 'MONGO_URL must look like mongodb://host:27017/dbname' })
  MONGO_URL: string = 'mongodb://127.0.0.1:27017/sladesk';

  @IsIn(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
  LOG_LEVEL: string = 'info';

  @IsOptional() @IsString()
  NODE_ENV?: string;

  /** Instance name in logs and health; defaults to host:pid. */
  @IsOptional() @IsString()
  SLADESK_INSTANCE_ID?: string;

  /** JetStream redelivers an event not acknowledged within this time (a handler that died). */
  @Type(() => Number) @IsInt() @Min(100)
  SLADESK_ACK_WAIT_MS: number = 30_000;

  /** Deliveries of a failing event before it goes to the dead letters. */
  @Type(() => Number) @IsInt() @Min(1)
  SLADESK_MAX_DELIVER: number = 5;

  /** First retry delay of a failing event; doubles per attempt. */
  @Type(() => Number) @IsInt() @Min(1)
  SLADESK_BACKOFF_BASE_MS: number = 1000;

  /**
   * How soon the events a crashed instance left behind are found (writes publish their own at once):
   * an outbox relay whose heartbeat is this old is dead and the collections it wrote are swept.
   */
  @Type(() => Number) @IsInt() @Min(100)
  SLADESK_OUTBOX_SWEEP_MS: number = 30_000;

  /** The outbox's full sweep of every collection, a safety net (a scan of each collection on FerretDB). */
  @Type(() => Number) @IsInt() @Min(1000)
  SLADESK_OUTBOX_FULL_SWEEP_MS: number = 15 * 60_000;

  get production(): boolean {
    return this.NODE_ENV === 'production';
  }
}

/**
 * Reads and validates configuration at boot. A bad value stops the process with a message that
 * names the variable, instead of failing later in an obscure place.
 */
export function loadConfig<T extends ServiceEnv>(
  cls: new () => T,
  env: NodeJS.ProcessEnv = process.env,
  options: { exitOnError?: boolean } = { exitOnError: true },
): T {
  const defaults = new cls();
  const given = Object.fromEntries(
    Object.keys(defaults)
      .concat(Object.keys(env).filter((k) => k.startsWith('SLADESK_') || k === 'NODE_ENV'))
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const config = plainToInstance(cls, { ...defaults, ...given }, { enableImplicitConversion: true });
  const errors = validateSync(config, { whitelist: false });
  if (errors.length) {
    const lines = errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `  ${e.property}: ${m}`));
    const message = `Invalid configuration:\n${lines.join('\n')}`;
    if (options.exitOnError) {
      console.error(message);
      process.exit(2);
    }
    throw new Error(message);
  }
  return config;
}
