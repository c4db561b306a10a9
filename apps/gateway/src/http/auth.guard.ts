import { AppError } from '@sladesk/contracts';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';

export const PUBLIC_ROUTE = 'sladesk:public';
/** Marks a route that needs no API key (health, metrics, docs, signed webhooks). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

const digest = (key: string) => createHash('sha256').update(key).digest();

export class ApiKeys {
  private readonly digests: Buffer[];
  constructor(keys: string[]) {
    this.digests = keys.map(digest);
  }
  /** Constant-time comparison of digests, so response timing reveals nothing about a key. */
  accepts(key: string): boolean {
    const d = digest(key);
    return this.digests.some((k) => timingSafeEqual(k, d));
  }
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeys,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!match) throw new AppError('AUTH.MISSING_KEY', 'Send Authorization: Bearer <api key>');
    if (!this.keys.accepts(match[1])) throw new AppError('AUTH.INVALID_KEY', 'API key not recognised');
    return true;
  }
}
