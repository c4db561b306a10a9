import { AppError } from '@sladesk/contracts';
import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { ThrottlerAsyncOptions, ThrottlerGuard, ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Connection } from 'mongoose';
import { GatewayEnv } from '../config';
import { principalOf } from './principal';
import { ruleFor } from './route-rules';

type Window = { _id: string; hits: number; expiresAt: Date };

/**
 * Fixed windows shared by every gateway instance: one document per `<throttler>:<tracker>:<window
 * start>`, counted with an `$inc` upsert (single-document atomic, an `_id` write on FerretDB too).
 * FerretDB has no TTL indexes, so windows that ended are deleted by a sweep every
 * SLADESK_RATE_LIMIT_SWEEP_MS (an index scan on `expiresAt` on MongoDB).
 */
export class MongoWindowStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly connection: Connection,
    private readonly sweepMs: number,
  ) {}

  private get windows() {
    return this.connection.collection<Window>('gateway_rate_limits');
  }

  async increment(key: string, ttl: number, limit: number): Promise<{ totalHits: number; timeToExpire: number; isBlocked: boolean; timeToBlockExpire: number }> {
    this.startSweeping();
    const now = Date.now();
    const start = Math.floor(now / ttl) * ttl;
    const end = start + ttl;
    const _id = `${key}:${start}`;
    let window: Window | null = null;
    for (let attempt = 0; attempt < 2 && !window; attempt++) {
      try {
        window = await this.windows.findOneAndUpdate({ _id }, { $inc: { hits: 1 }, $setOnInsert: { expiresAt: new Date(end) } }, { upsert: true, returnDocument: 'after' });
      } catch (e) {
        // Two first hits upserting at once on MongoDB: one of them retries as an update.
        if ((e as { code?: number }).code !== 11000 || attempt > 0) throw e;
      }
    }
    const totalHits = window?.hits ?? 1;
    const timeToExpire = Math.max(1, Math.ceil((end - now) / 1000));
    const isBlocked = totalHits > limit;
    return { totalHits, timeToExpire, isBlocked, timeToBlockExpire: isBlocked ? timeToExpire : 0 };
  }

  private startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => void this.sweep(), this.sweepMs);
    this.sweeper.unref();
  }

  async sweep(now = new Date()): Promise<number> {
    if (this.connection.readyState !== 1) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      return 0;
    }
    try {
      return (await this.windows.deleteMany({ expiresAt: { $lt: now } })).deletedCount;
    } catch (e) {
      this.logger.warn(`sweeping ended rate-limit windows failed: ${(e as Error).message}`);
      return 0;
    }
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

const principalId = (req: FastifyRequest): string => principalOf(req)?.id ?? '';

/**
 * Two limits per window: per source address (every request, before its credentials are judged, so
 * guessing keys is limited too) and per key or token subject. `0` turns one off.
 */
export const rateLimitOptions = (config: GatewayEnv): ThrottlerAsyncOptions => ({
  inject: [getConnectionToken()],
  useFactory: (connection: Connection) => ({
    storage: new MongoWindowStorage(connection, config.SLADESK_RATE_LIMIT_SWEEP_MS),
    throttlers: [
      {
        name: 'ip',
        ttl: config.SLADESK_RATE_LIMIT_WINDOW_MS,
        limit: config.SLADESK_RATE_LIMIT_PER_IP,
        getTracker: (req) => `ip:${(req as FastifyRequest).ip}`,
        skipIf: () => config.SLADESK_RATE_LIMIT_PER_IP === 0,
      },
      {
        name: 'key',
        ttl: config.SLADESK_RATE_LIMIT_WINDOW_MS,
        limit: config.SLADESK_RATE_LIMIT_PER_KEY,
        getTracker: (req) => principalId(req as FastifyRequest),
        skipIf: (ctx) => config.SLADESK_RATE_LIMIT_PER_KEY === 0 || !principalId(ctx.switchToHttp().getRequest<FastifyRequest>()),
      },
    ],
  }),
});

/** @nestjs/throttler's guard with windows across routes, our error shape and a plain `Retry-After`. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    return ruleFor(req.method, req.routeOptions.url)?.unlimited === true;
  }

  // One window per caller for the whole API, not one per route.
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}|${tracker}`;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header('retry-after', String(detail.timeToBlockExpire));
    const per = detail.key.startsWith('ip|') ? 'source address' : 'key';
    throw new AppError('RATE_LIMIT.EXCEEDED', `More than ${detail.limit} requests in ${Math.round(detail.ttl / 1000)} s for this ${per}; retry in ${detail.timeToBlockExpire} s`, {
      limit: detail.limit,
      windowSeconds: Math.round(detail.ttl / 1000),
      retryAfterSeconds: detail.timeToBlockExpire,
    });
  }
}
