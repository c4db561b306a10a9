import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { mongo } from 'mongoose';
import { CHUNK_BYTES } from './export.schema';

/**
 * A file written as chunk documents `<exportId>:<n>` of CHUNK_BYTES: what is written is held until a
 * chunk is full, then stored before more is accepted (back-pressure), so memory stays at one chunk.
 */
export class ChunkSink extends Writable {
  private parts: Buffer[] = [];
  private held = 0;
  private readonly hash = createHash('sha256');
  chunks = 0;
  bytes = 0;
  sha256?: string;

  constructor(
    private readonly collection: mongo.Collection,
    private readonly exportId: string,
  ) {
    super({ highWaterMark: CHUNK_BYTES });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.parts.push(chunk);
    this.held += chunk.length;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.held < CHUNK_BYTES) return done();
    this.flushFull().then(() => done(), done);
  }

  override _final(done: (e?: Error | null) => void): void {
    const rest = Buffer.concat(this.parts);
    this.parts = [];
    this.held = 0;
    this.sha256 = this.hash.digest('hex');
    (rest.length || this.chunks === 0 ? this.store(rest) : Promise.resolve()).then(() => done(), done);
  }

  private async flushFull(): Promise<void> {
    let all = Buffer.concat(this.parts);
    while (all.length >= CHUNK_BYTES) {
      await this.store(all.subarray(0, CHUNK_BYTES));
      all = all.subarray(CHUNK_BYTES);
    }
    this.parts = all.length ? [Buffer.from(all)] : [];
    this.held = all.length;
  }

  private async store(data: Buffer): Promise<void> {
    const n = this.chunks++;
    const _id = `${this.exportId}:${n}`;
    await this.collection.replaceOne({ _id: _id as never }, { exportId: this.exportId, n, data: new mongo.Binary(data) }, { upsert: true });
  }
}
