import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import { createHash } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SMTPServer, SMTPServerDataStream } from 'smtp-server';
import { IntakeEnv } from '../../config';
import { InboundEmailService } from './inbound-email.service';

const smtpError = (message: string, responseCode: number) =>
  Object.assign(new Error(message), { responseCode });

/**
 * The SMTP listener for the support addresses, inside the intake process. A mail is acknowledged
 * (250) only once it is recorded; any failure answers 451, so the sending server tries again later.
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
    const server = new SMTPServer({
      name: 'sladesk-intake',
      banner: 'SLA Desk support mail',
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: this.config.SLADESK_SMTP_MAX_BYTES,
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
    const raw = await collect(stream);
    if (stream.sizeExceeded)
      throw smtpError(`Message exceeds ${this.config.SLADESK_SMTP_MAX_BYTES} bytes`, 552);
    const mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true });
    const result = await this.inbound.receive(mail, createHash('sha256').update(raw).digest('hex'));
    this.logger.log(
      `mail ${mail.messageId ?? '(no Message-ID)'}: ${result.outcome}${result.caseNumber ? ` (case #${result.caseNumber})` : ''}`,
    );
    return result.caseNumber ? `Recorded in case #${result.caseNumber}` : 'Recorded for review';
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
