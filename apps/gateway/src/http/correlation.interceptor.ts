import { runInContext } from '@sladesk/messaging';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Observable } from 'rxjs';
import { principalOf, runAs } from '../auth/principal';

export const CORRELATION_ID_HEADER = 'x-correlation-id';
const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Every request runs with a correlation id (the client's, if well-formed) that flows into NATS, and
 * with its caller, whose account scope the gateway's bus adds to what it sends (auth/scoped-bus.ts).
 */
@Injectable()
export class CorrelationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const given = req.headers[CORRELATION_ID_HEADER];
    const correlationId = typeof given === 'string' && SAFE.test(given) ? given : randomUUID();
    void http.getResponse<FastifyReply>().header(CORRELATION_ID_HEADER, correlationId);
    return new Observable((subscriber) =>
      runInContext({ correlationId, causationId: correlationId }, () => runAs(principalOf(req), () => next.handle().subscribe(subscriber))),
    );
  }
}
