import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import { createHash } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SMTPServer, SMTPServerDataStream } from 'smtp-server';
import { IntakeEnv } from '../../config';
import { InboundEmailService } from './inbound-email.service';
import { SmtpClientLimits } from './smtp-client-limits';

const smtpError = (message: string, responseCode: number) =>
  Object.assign(new Error(message), { responseCode });

/**
 * The SMTP listener for the support addresses, inside the intake process. A mail is acknowledged
 * (250) only once it is recorded; any failure answers 451, so the sending server tries again later.
 *
 * Hardened as a receiving MX: a size limit (advertised with SIZE, 552 beyond, the body not even
 * buffered), recipients per mail (452), connections in total and per client address (421), mails per
 * address and window (450 4.7.1), an idle and a whole-session timeout (421), no AUTH or STARTTLS (nothing
 * to authenticate: it only accepts mail for our own addresses), no reverse DNS lookups, a greeting that
 * names no software. Every limit is a setting (`IntakeEnv`, README).
 */
@Injectable()
export class SmtpListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SmtpListener.name);
  private server?: SMTPServer;
  private boundPort?: number;

  constructor(
    private readonly config: IntakeEnv,
    private readonly inbound: InboundEmailService,
  ) {}

  /** The port it listens on (useful with SLADESK_SMTP_PORT=0), or undefined when it could not bind. */
  get port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const addresses = new Set(this.config.SLADESK_SUPPORT_ADDRESSES);
    const c = this.config;
    const limits = new SmtpClientLimits(c.SLADESK_SMTP_MAX_CONNECTIONS_PER_IP, c.SLADESK_SMTP_RATE_PER_IP, c.SLADESK_SMTP_RATE_WINDOW_MS);
    const deadlines = new Map<string, NodeJS.Timeout>();
    const server: SMTPServer = new SMTPServer({
      name: c.SLADESK_SMTP_HOSTNAME,
      banner: 'support mail',
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      size: c.SLADESK_SMTP_MAX_BYTES,
      rejectOversized: true,
      maxRecipients: c.SLADESK_SMTP_MAX_RECIPIENTS,
      maxClients: c.SLADESK_SMTP_MAX_CONNECTIONS,
      socketTimeout: c.SLADESK_SMTP_IDLE_TIMEOUT_MS,
      closeTimeout: 5_000,
      onConnect: (session, cb) => {
        if (!limits.connect(session.remoteAddress, session.id)) {
          return cb(smtpError('Too many connections from your address, try again later', 421));
        }
        const deadline = setTimeout(() => {
          for (const connection of server.connections) {
            if (connection.id !== session.id) continue;
            connection.send(421, 'Session too long, closing connection');
            connection.close();
          }
        }, c.SLADESK_SMTP_SESSION_TIMEOUT_MS);
        deadline.unref();
        deadlines.set(session.id, deadline);
        cb();
      },
      onClose: (session) => {
        clearTimeout(deadlines.get(session.id));
        deadlines.delete(session.id);
        limits.disconnect(session.remoteAddress, session.id);
      },
      onMailFrom: (_address, session, cb) => {
        const waitMs = limits.startMail(session.remoteAddress);
        if (waitMs === undefined) return cb();
        cb(smtpError(`Too many mails from your address, try again in ${Math.ceil(waitMs / 1000)} s`, 450));
      },
      onRcptTo: (address, _session, cb) =>
        addresses.has(address.address.toLowerCase())
          ? cb()
          : cb(smtpError(`<${address.address}>: no such mailbox here`, 550)),
      onData: (stream, _session, cb) => {
        this.receive(stream).then(
          (reply) => cb(null, reply),
          (e: Error & { responseCode?: number }) =>
            cb(e.responseCode ? e : smtpError('Temporary failure, try again later', 451)),
        );
      },
    });
    server.on('error', (e) => this.logger.error(`SMTP listener: ${e.message}`));
    try {
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(this.config.SLADESK_SMTP_PORT, this.config.SLADESK_SMTP_HOST, () => resolve());
      });
      this.server = server;
      this.boundPort = (server.server.address() as AddressInfo).port;
      this.logger.log(
        `SMTP listener on ${this.config.SLADESK_SMTP_HOST}:${this.boundPort} for ${[...addresses].join(', ')}`,
      );
    } catch (e) {
      // The other channels keep working; health reports smtp down.
      this.logger.error(
        `SMTP listener could not listen on ${this.config.SLADESK_SMTP_HOST}:${this.config.SLADESK_SMTP_PORT}: ${(e as Error).message}`,
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.boundPort = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async receive(stream: SMTPServerDataStream): Promise<string> {
    const raw = await collect(stream, this.config.SLADESK_SMTP_MAX_BYTES);
    if (stream.sizeExceeded || raw === undefined)
      throw smtpError(`Message exceeds ${this.config.SLADESK_SMTP_MAX_BYTES} bytes`, 552);
    const mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true });
    const result = await this.inbound.receive(mail, createHash('sha256').update(raw).digest('hex'));
    this.logger.log(
      `mail ${mail.messageId ?? '(no Message-ID)'}: ${result.outcome}${result.caseNumber ? ` (case #${result.caseNumber})` : ''}`,
    );
    return result.caseNumber ? `Recorded in case #${result.caseNumber}` : 'Recorded for review';
  }
}

/** The message, or undefined once it went over `max` bytes (the rest is read and dropped, never buffered). */
async function collect(stream: Readable, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    if (bytes <= max) chunks.push(chunk as Buffer);
    else chunks.length = 0;
  }
  return bytes <= max ? Buffer.concat(chunks) : undefined;
}
