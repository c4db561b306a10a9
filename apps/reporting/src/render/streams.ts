import { once } from 'node:events';
import { Writable } from 'node:stream';
import { Row, rowsOf, Table } from '../reports/report-doc';

/** Writes and waits while the destination is full: every renderer keeps memory flat this way. */
export async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Collects what is written (reports small enough for one reply). */
export class MemorySink extends Writable {
  private readonly parts: Buffer[] = [];
  length = 0;

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.parts.push(chunk);
    this.length += chunk.length;
    done();
  }

  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Counts rows as a renderer pulls them, and yields to the event loop every 1,000 (exceljs has no back-pressure). */
export class Progress {
  rows = 0;
  constructor(private readonly onRows: (rows: number) => void | Promise<void> = () => undefined) {}

  async *count(t: Table): AsyncIterable<Row> {
    for await (const row of rowsOf(t)) {
      yield row;
      this.rows++;
      if (this.rows % 1000 === 0) {
        await this.onRows(this.rows);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
}
