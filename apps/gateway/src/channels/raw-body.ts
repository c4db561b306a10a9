import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';

/** Where the bytes of a request body are kept for routes that verify a signature over them. */
export type WithRawBody = FastifyRequest & { rawBody?: Buffer };

/**
 * Keeps the exact bytes of the body for one route (a signature covers them, not the parsed JSON),
 * then hands the same bytes to the usual parser. Other routes are untouched.
 */
export function keepRawBody(fastify: FastifyInstance, url: string, limit: number): void {
  fastify.addHook('preParsing', async (request: WithRawBody, _reply, payload) => {
    if (request.routeOptions.url !== url) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        throw Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
      }
      chunks.push(chunk as Buffer);
    }
    request.rawBody = Buffer.concat(chunks);
    return Readable.from([request.rawBody]);
  });
}
