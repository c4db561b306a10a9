import { ExportJobView, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';

/** A finished export's file, fetched chunk by chunk over request/reply as the client reads it (back-pressure included). */
export function exportStream(bus: NatsBus, job: ExportJobView, timeoutMs: number): Readable {
  let n = 0;
  const chunks = job.chunks ?? 0;
  return new Readable({
    read() {
      if (n >= chunks) {
        this.push(null);
        return;
      }
      bus.request(Rpc.ExportChunk, { id: job.id, n }, { timeoutMs }).then(
        (c) => {
          n++;
          this.push(Buffer.from(c.data, 'base64'));
        },
        (e) => this.destroy(e as Error),
      );
    },
  });
}

/** JSON is answered as a body; the other formats as a download named after the report and its period. */
export function sendFileHeaders(reply: FastifyReply, contentType: string, filename: string, bytes?: number): FastifyReply {
  reply.status(200).header('content-type', contentType);
  if (!contentType.startsWith('application/json')) reply.header('content-disposition', `attachment; filename="${filename}"`);
  if (bytes !== undefined) reply.header('content-length', String(bytes));
  return reply;
}

/** A job still being written: 202 with where to follow it. */
export function sendJob(reply: FastifyReply, job: ExportJobView): FastifyReply {
  return reply.status(202).header('location', `/v1/exports/${job.id}`).header('content-type', 'application/json').send(job);
}
