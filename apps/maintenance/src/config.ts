import { OutboundEnv } from '@sladesk/outbound';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, Matches, Max, Min, MinLength } from 'class-validator';
import { OFFSET_PATTERN } from '@sladesk/contracts';

const list = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

/** The maintenance service's settings; outbound delivery's (SLADESK_SMTP_URL, SLADESK_INTERCOM_*, SLADESK_OUTBOUND_*) come with OutboundEnv. */
export class MaintenanceEnv extends OutboundEnv {
  /** Reminders before a window's planned start when the window names none (ISO-8601 durations). */
  @Transform(list) @IsArray() @ArrayMaxSize(10) @Matches(OFFSET_PATTERN, { each: true, message: 'SLADESK_REMINDER_OFFSETS must be ISO-8601 durations like PT72H,PT24H,PT1H' })
  SLADESK_REMINDER_OFFSETS: string[] = ['PT72H', 'PT24H', 'PT1H'];

  /** How often due reminders and notices waiting to be fanned out are looked for (@nestjs/schedule interval), in ms. */
  @Type(() => Number) @IsInt() @Min(50) @Max(60_000)
  SLADESK_MAINTENANCE_TICK_MS: number = 1_000;

  /** Signs opt-out and calendar links (HMAC-SHA256). Set your own in production. */
  @MinLength(16, { message: 'SLADESK_NOTICE_LINK_SECRET must be at least 16 characters' })
  SLADESK_NOTICE_LINK_SECRET: string = 'dev-notice-link-secret-change-me';

  /** Where customers reach the gateway: opt-out and calendar links start with it. */
  @Matches(/^https?:\/\/\S+$/, { message: 'SLADESK_PUBLIC_URL must be an http(s) URL' })
  SLADESK_PUBLIC_URL: string = 'http://127.0.0.1:3000';

  /** A recurring window's occurrences are created this many days ahead (rules without COUNT or UNTIL). */
  @Type(() => Number) @IsInt() @Min(7) @Max(1100)
  SLADESK_RECURRENCE_HORIZON_DAYS: number = 400;

  /** Occurrences made at most by one request or one extension (the rest follow at the next ticks). */
  @Type(() => Number) @IsInt() @Min(1) @Max(200)
  SLADESK_RECURRENCE_BATCH: number = 200;

  /** How often an open-ended series' horizon is rolled forward (new occurrences made as time passes), in ms. */
  @Type(() => Number) @IsInt() @Min(1_000)
  SLADESK_RECURRENCE_EXTEND_MS: number = 3_600_000;
}
