import { AppError, ErrorBody, ErrorCode, httpStatusOf } from '@sladesk/contracts';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';

const logger = new Logger('HttpErrors');

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'REQUEST.TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'REQUEST.MALFORMED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'REQUEST.MALFORMED',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'REQUEST.MALFORMED',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'REQUEST.MALFORMED',
  FST_ERR_NOT_FOUND: 'ROUTE.NOT_FOUND',
};

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'REQUEST.MALFORMED',
  401: 'AUTH.MISSING_KEY',
  404: 'ROUTE.NOT_FOUND',
  413: 'REQUEST.TOO_LARGE',
};

/**
 * Maps anything thrown while serving a request to `{ code, message, details? }` with the status its
 * code prescribes. Unexpected errors answer 500 with only an `errorId` that points at the log line.
 */
export function toErrorResponse(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof AppError) return { status: httpStatusOf(e.code), body: withErrorId(e) };
  const fe = e as Partial<FastifyError>;
  if (fe?.code && FASTIFY_CODES[fe.code]) {
    const code = FASTIFY_CODES[fe.code];
    return { status: httpStatusOf(code), body: { code, message: fe.message ?? code } };
  }
  if (e instanceof HttpException) {
    const status = e.getStatus();
    const code = HTTP_STATUS_CODES[status];
    if (code) return { status, body: { code, message: e.message } };
  }
  const errorId = randomUUID();
  logger.error(`unexpected error ${errorId}: ${(e as Error)?.stack ?? String(e)}`);
  return { status: 500, body: { code: 'INTERNAL', message: 'Internal error', errorId } };
}

function withErrorId(e: AppError): ErrorBody {
  const errorId = (e as AppError & { errorId?: string }).errorId;
  return errorId ? { ...e.toBody(), errorId } : e.toBody();
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(exception);
    void reply.status(status).send(body);
  }
}

/** Fastify's own errors (body parsing, unknown routes) get the same shape. */
export function fastifyErrorHandler(error: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorResponse(error);
  void reply.status(status).send(body);
}
