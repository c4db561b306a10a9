import { connect, Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One keep-alive HTTP/1.1 connection driven by hand, so a test can see what fetch hides: whether the
 * server answers a second request on the same socket, or closes it.
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiting?: () => void;
  /** Resolves when the server closed the connection (or it broke). */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => this.waiting?.());
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** Queues bytes as they are (a request, or part of one); a server that stops reading may never take them all. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  request(method: string, path: string, headers: Record<string, string>, body: string | Buffer = ''): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const head = [`${method} ${path} HTTP/1.1`, 'Host: localhost', ...Object.entries({ 'content-length': String(bytes.length), ...headers }).map(([k, v]) => `${k}: ${v}`)];
    return this.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), bytes]));
  }

  /** The next response on the connection; rejects if the server closes it first. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
          this.buffer = this.buffer.subarray(end + 4 + length);
          return { status: Number(statusLine.split(' ')[1]), headers, body };
        }
      }
      if (this.socket.destroyed) throw new Error(`connection closed before a complete response (${this.buffer.length} bytes read)`);
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
