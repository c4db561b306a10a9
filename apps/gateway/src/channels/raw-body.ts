import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Transform, TransformCallback } from 'node:stream';

/** Where the bytes of a request body are kept for routes that verify a signature over them. */
export type WithRawBody = FastifyRequest & { rawBody?: Buffer };

/**
 * Keeps the exact bytes of the body for one route (a signature covers them, not the parsed JSON).
 * The bytes pass through to Fastify's own parser, which enforces the body limit as on every route:
 * it refuses an announced oversized Content-Length before reading, and stops listening mid-stream
 * while the rest of the body drains, so the connection stays usable. Reading the stream here and
 * throwing in the middle of it left the request half-read: the next request on that keep-alive
 * connection was never answered and closing the server waited for it.
 */
export function keepRawBody(fastify: FastifyInstance, url: string, limit: number): void {
  fastify.addHook('preParsing', async (request: WithRawBody, _reply, payload) => {
    if (request.routeOptions.url !== url) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    const tee = new Transform({
      transform(chunk: Buffer, _encoding, done: TransformCallback) {
        size += chunk.length;
        // Past the limit the parser refuses the body; keep no more of it.
        if (size <= limit) chunks.push(chunk);
        done(null, chunk);
      },
      flush(done: TransformCallback) {
        if (size <= limit) request.rawBody = Buffer.concat(chunks);
        done();
      },
    });
    payload.on('error', (e) => tee.destroy(e));
    return payload.pipe(tee);
  });
}
