import { AppError, ErrorBody, ErrorCode, httpStatusOf } from '@sladesk/contracts';
import { isDatabaseUnavailable } from '@sladesk/persistence';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

const logger = new Logger('HttpErrors');

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'REQUEST.TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'REQUEST.MALFORMED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'REQUEST.MALFORMED',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'REQUEST.MALFORMED',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'REQUEST.MALFORMED',
  FST_ERR_BAD_URL: 'REQUEST.MALFORMED',
  FST_ERR_INVALID_URL: 'REQUEST.MALFORMED',
  FST_ERR_VALIDATION: 'VALIDATION.FAILED',
  FST_ERR_NOT_FOUND: 'ROUTE.NOT_FOUND',
};

/** Codes for what carries only an HTTP status (Nest's HttpExceptions, Fastify errors not listed above). */
const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'REQUEST.MALFORMED',
  401: 'AUTH.MISSING_KEY',
  404: 'ROUTE.NOT_FOUND',
  408: 'REQUEST.TIMEOUT',
  413: 'REQUEST.TOO_LARGE',
  429: 'RATE_LIMIT.EXCEEDED',
  431: 'REQUEST.HEADERS_TOO_LARGE',
};

const statusOf = (e: unknown): number | undefined => {
  if (e instanceof HttpException) return e.getStatus();
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/**
 * Maps anything thrown while serving a request to `{ code, message, details? }` with the status its
 * code prescribes. Every refusal of the request (any 4xx) carries one of our codes; unexpected errors
 * answer 500 with only an `errorId` that points at the log line.
 */
export function toErrorResponse(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof AppError) return { status: httpStatusOf(e.code), body: withErrorId(e) };
  const fe = e as Partial<FastifyError> | null;
  // An id longer than the router takes (100 characters) is an invalid id, as a shorter bad one is.
  if (fe?.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const problem = { path: 'path', problems: ['a path parameter must be at most 100 characters'] };
    return { status: httpStatusOf('VALIDATION.FAILED'), body: { code: 'VALIDATION.FAILED', message: 'invalid path', details: [problem] } };
  }
  const status = statusOf(e);
  const known = (fe?.code && FASTIFY_CODES[fe.code]) || (status !== undefined && HTTP_STATUS_CODES[status]);
  const code: ErrorCode | undefined = known || (status !== undefined && status >= 400 && status < 500 ? 'REQUEST.MALFORMED' : undefined);
  if (code) return { status: httpStatusOf(code), body: { code, message: (e as Error).message || code } };
  // The gateway's own reads and writes (API keys, audit, rate limits) while the database is down.
  if (isDatabaseUnavailable(e)) {
    return { status: httpStatusOf('SERVICE.UNAVAILABLE'), body: { code: 'SERVICE.UNAVAILABLE', message: 'The database is unavailable; retry the request' } };
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
    (reply as FastifyReply & { sladeskErrorCode?: string }).sladeskErrorCode = body.code;
    void reply.status(status).send(body);
  }
}

/** Fastify's own errors (body parsing, unknown routes, bad URLs, over-long path parameters) get the same shape. */
export function fastifyErrorHandler(error: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorResponse(error);
  (reply as FastifyReply & { sladeskErrorCode?: string }).sladeskErrorCode = body.code;
  void reply.status(status).send(body);
}

/**
 * What Node's HTTP parser refuses before there is a request (malformed HTTP, headers too large, a
 * client too slow to send its request): answered on the socket in the same shape, then closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW' ? 'REQUEST.HEADERS_TOO_LARGE' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST.TIMEOUT' : 'REQUEST.MALFORMED';
  const status = httpStatusOf(code);
  const body = JSON.stringify({ code, message: `${STATUS_CODES[status]}: the request could not be read` } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
