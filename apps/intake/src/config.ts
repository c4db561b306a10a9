import { EnvBoolean } from '@sladesk/messaging';
import { OutboundEnv } from '@sladesk/outbound';
import { Transform, Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { ClassificationRule, DEFAULT_CLASSIFICATION_RULES } from './cases/classification/classifier';

const list = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean)
    : value;

const json = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return 'not JSON';
  }
};

/**
 * Intake's settings. Outgoing messages to customers (receipts, responses by mail, Intercom replies) are
 * sent by `@sladesk/outbound`, so its settings come with OutboundEnv (SLADESK_SMTP_URL,
 * SLADESK_INTERCOM_API_URL / _TOKEN / _ADMIN_ID, SLADESK_OUTBOUND_*); the former names are still read
 * when set, and win (`outboundSettings`).
 */
export class IntakeEnv extends OutboundEnv {
  /** Attempts before an outgoing message is kept as failed. */
  override SLADESK_OUTBOUND_MAX_ATTEMPTS: number = 8;

  /**
   * One message at a time between the mail server's (or Intercom's) accept and its recorded outcome, as
   * intake always sent them: a SIGKILL sends at most one twice. Replies to customers are few.
   */
  override SLADESK_OUTBOUND_MAX_UNRECORDED: number = 1;

  /** Pooled connections to the relay (intake's mail is receipts and responses, not fan-outs). */
  override SLADESK_OUTBOUND_SMTP_CONNECTIONS: number = 2;

  /** Port of the SMTP listener that receives mail for the support addresses; 0 picks a free one. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  SLADESK_SMTP_PORT: number = 2525;

  @IsString()
  SLADESK_SMTP_HOST: string = '127.0.0.1';

  /** Largest accepted message, attachments included, in bytes. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  SLADESK_SMTP_MAX_BYTES: number = 10 * 1024 * 1024;

  /** Recipients of one mail transaction; further `RCPT TO` answer 452 (the sender sends the rest again). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  SLADESK_SMTP_MAX_RECIPIENTS: number = 20;

  /** Open SMTP connections in total; beyond, a new one is greeted with 421 and closed. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SLADESK_SMTP_MAX_CONNECTIONS: number = 100;

  /** Open SMTP connections from one client address; beyond, 421. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SLADESK_SMTP_MAX_CONNECTIONS_PER_IP: number = 5;

  /** Mails (MAIL FROM) one client address may start per window; beyond, 450 4.7.1 until the window ends. `0`: no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SLADESK_SMTP_RATE_PER_IP: number = 60;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  SLADESK_SMTP_RATE_WINDOW_MS: number = 60_000;

  /** A connection silent this long (between commands, or inside DATA) is closed with 421. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  SLADESK_SMTP_IDLE_TIMEOUT_MS: number = 60_000;

  /** Longest SMTP session, however busy (a client trickling bytes resets the idle timeout); then 421. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  SLADESK_SMTP_SESSION_TIMEOUT_MS: number = 600_000;

  /** The name in the greeting and EHLO (no software name or version is shown). */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, { message: 'SLADESK_SMTP_HOSTNAME must be a host name' })
  SLADESK_SMTP_HOSTNAME: string = 'sladesk-intake';

  /** Recipients the listener accepts mail for (comma-separated); the first one is the sender of our replies. */
  @Transform(list)
  @ArrayNotEmpty()
  @IsEmail({}, { each: true })
  SLADESK_SUPPORT_ADDRESSES: string[] = ['support@sladesk.local'];

  /** The Intercom app's client secret: webhook notifications are signed with it. Without it the webhook answers 503. */
  @IsOptional()
  @IsString()
  @MinLength(8)
  SLADESK_INTERCOM_CLIENT_SECRET?: string;

  /** Former name of SLADESK_SMTP_URL (intake's outgoing relay), still read (and winning) when set. */
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SLADESK_SMTP_RELAY_URL must look like smtp://host:port' })
  SLADESK_SMTP_RELAY_URL?: string;

  /** Former name of SLADESK_INTERCOM_TOKEN, still read (and winning) when set. */
  @IsOptional()
  @IsString()
  SLADESK_INTERCOM_ACCESS_TOKEN?: string;

  /** Former name of SLADESK_OUTBOUND_RETRY_MS, still read (and winning) when set. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(10)
  SLADESK_DELIVERY_RETRY_MS?: number;

  /** Former name of SLADESK_OUTBOUND_MAX_ATTEMPTS, still read (and winning) when set. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  SLADESK_DELIVERY_MAX_ATTEMPTS?: number;

  /** Classification rules as JSON: `[{ "name", "keywords": [...], "category"?, "severity"? }]`, first match per field wins. */
  @Transform(json)
  @ValidateNested({ each: true })
  @Type(() => ClassificationRule)
  @ArrayNotEmpty()
  SLADESK_CLASSIFICATION_RULES: ClassificationRule[] = DEFAULT_CLASSIFICATION_RULES;

  /**
   * How far into the future an inquiry's `receivedAt` may lie, in ms (the sender's clock may run a
   * little ahead). The API refuses anything later (400 CASE.RECEIVED_IN_FUTURE); channels, whose
   * messages must not be lost, take our own clock instead.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SLADESK_CLOCK_SKEW_MS: number = 5 * 60_000;

  /**
   * Seal new timeline entries with hash version 2: personal data (texts, a contact's name, addresses,
   * the subject) committed to by salted hashes, so that erasing it leaves every chain verifiable. On by
   * default: every verifier knows version 2 (intake's, and the evidence pack's verify.mjs). `false` seals
   * version 1 (values inside the hash: they cannot be erased); entries already sealed keep their version.
   */
  @EnvBoolean()
  SLADESK_PERSONAL_DATA_COMMITMENTS: boolean = true;

  /** Resolved and closed cases lose their personal data this many days after resolution; kept when unset. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SLADESK_RETENTION_DAYS?: number;

  /** How often the retention sweep looks for such cases, in ms. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  SLADESK_RETENTION_SWEEP_MS: number = 3_600_000;

  get supportFrom(): string {
    return this.SLADESK_SUPPORT_ADDRESSES[0];
  }
}

/** The settings outbound delivery reads, with intake's former names applied. */
export function outboundSettings(c: IntakeEnv): IntakeEnv {
  return Object.assign(new IntakeEnv(), c, {
    SLADESK_SMTP_URL: c.SLADESK_SMTP_RELAY_URL ?? c.SLADESK_SMTP_URL,
    SLADESK_INTERCOM_TOKEN: c.SLADESK_INTERCOM_ACCESS_TOKEN ?? c.SLADESK_INTERCOM_TOKEN,
    SLADESK_OUTBOUND_RETRY_MS: c.SLADESK_DELIVERY_RETRY_MS ?? c.SLADESK_OUTBOUND_RETRY_MS,
    SLADESK_OUTBOUND_MAX_ATTEMPTS: c.SLADESK_DELIVERY_MAX_ATTEMPTS ?? c.SLADESK_OUTBOUND_MAX_ATTEMPTS,
  });
}
