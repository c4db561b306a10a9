import { Logger } from '@nestjs/common';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

/** Who a message is from and to, as the SMTP session says it (MAIL FROM, RCPT TO). */
export interface SmtpEnvelope {
  from: string;
  to: string[];
}

interface Slot {
  conn: SMTPConnection;
  /** Closed, or its server ended the session: never handed out again. */
  dead: boolean;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Whole messages (already composed) sent over at most `max` SMTP sessions, each used by one message
 * at a time and kept open between messages. The sessions are nodemailer's `SMTPConnection` (its SMTP
 * client: greeting, EHLO, STARTTLS, AUTH, dot-stuffing, timeouts, error codes); this class only lends
 * them out. It replaces nodemailer's pooled transport, which does the same with a message object per
 * mail (a MIME tree, a generated Message-ID and boundary, a stream pipeline) even for a raw message:
 * about 2.8× the time per message on this machine (`tools/bench/maintenance/smtp-clients.mjs`).
 *
 * A session that fails in any way (a refusal, a dropped connection, a timeout) is closed and not used
 * again: the next message opens a fresh one, so a refused transaction never leaves state behind. The
 * failure goes to the caller, who decides whether to retry. A session idle for `idleMs` is closed by
 * us, well before a server's own idle timeout would close it under a message about to be sent.
 */
export class SmtpPool {
  private readonly logger = new Logger('outbound.smtp');
  private readonly options: SMTPConnection.Options;
  private readonly auth?: { user: string; pass: string };
  private readonly idle: Slot[] = [];
  private readonly waiting: Array<(slot?: Slot) => void> = [];
  private open = 0;
  private closed = false;

  constructor(
    url: string,
    private readonly max: number,
    private readonly idleMs = 5_000,
  ) {
    const parsed = parseConnectionUrl(url) as SMTPConnection.Options & { auth?: { user?: string; pass?: string } };
    const { auth, ...options } = parsed;
    this.options = options;
    if (auth?.user) this.auth = { user: auth.user, pass: auth.pass ?? '' };
  }

  /** Sends one message; resolves with the server's answer once it accepted it. */
  async send(envelope: SmtpEnvelope, message: Buffer): Promise<SMTPConnection.SentMessageInfo> {
    const slot = await this.acquire();
    try {
      const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
        slot.conn.send(envelope, message, (err, result) => (err ? reject(err) : resolve(result!))),
      );
      this.release(slot);
      return info;
    } catch (e) {
      this.discard(slot);
      throw e;
    }
  }

  /** Closes every session; sends waiting for one fail. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w();
    for (const slot of this.idle.splice(0)) this.discard(slot);
  }

  /** An idle session, a new one while fewer than `max` are open, else the next one released. */
  private async acquire(): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new Error('the SMTP pool is closed');
      const ready = this.idle.pop();
      if (ready) {
        clearTimeout(ready.idleTimer);
        return ready;
      }
      if (this.open < this.max) return this.connect();
      // Woken with a session handed over, or without one when a place freed (then: open one).
      const handed = await new Promise<Slot | undefined>((resolve) => this.waiting.push(resolve));
      if (handed) return handed;
    }
  }

  private async connect(): Promise<Slot> {
    this.open++;
    const conn = new SMTPConnection(this.options);
    const slot: Slot = { conn, dead: false };
    // Errors reach the send or connect in progress through its callback; one between messages only ends the session.
    conn.on('error', () => undefined);
    conn.once('end', () => this.forget(slot));
    try {
      await this.step(conn, (done) => conn.connect(done));
      if (this.auth) await this.step(conn, (done) => conn.login(this.auth!, done));
    } catch (e) {
      this.discard(slot);
      throw e;
    }
    return slot;
  }

  /**
   * Connecting or logging in: the callback reports the server's answer, but a socket that fails
   * (refused, reset, TLS) is reported as an `error` event only, or as the session's end.
   */
  private step(conn: SMTPConnection, run: (done: (err?: Error | null) => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => settle(e);
      const onEnd = () => settle(new Error('the SMTP server closed the connection'));
      const settle = (e?: Error | null) => {
        conn.off('error', onError);
        conn.off('end', onEnd);
        if (e) reject(e);
        else resolve();
      };
      conn.once('error', onError);
      conn.once('end', onEnd);
      run(settle);
    });
  }

  /** A session back after a message: to the next waiting send, else idle until `idleMs`. */
  private release(slot: Slot): void {
    if (slot.dead) return;
    if (this.closed) return this.discard(slot);
    const next = this.waiting.shift();
    if (next) return next(slot);
    slot.idleTimer = setTimeout(() => this.discard(slot), this.idleMs);
    slot.idleTimer.unref();
    this.idle.push(slot);
  }

  private discard(slot: Slot): void {
    if (slot.dead) return;
    this.forget(slot);
    try {
      slot.conn.close();
    } catch (e) {
      this.logger.debug(`closing an SMTP session: ${(e as Error).message}`);
    }
  }

  /** The session is over (closed by us or by its server): its place goes to the next waiting send. */
  private forget(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    clearTimeout(slot.idleTimer);
    const i = this.idle.indexOf(slot);
    if (i >= 0) this.idle.splice(i, 1);
    this.open--;
    this.waiting.shift()?.();
  }
}
