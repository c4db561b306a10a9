import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { IntakeEnv } from '../../config';
import { OutgoingEmail } from '../delivery/delivery.schema';

/** Our acknowledgements and replies, through the configured SMTP relay. */
@Injectable()
export class EmailSender implements OnModuleDestroy {
  private readonly transport: Transporter;

  constructor(private readonly config: IntakeEnv) {
    // URL and options in one object: a second argument holds message defaults, not transport options
    // (`createTransport(url, { pool: true })` opens a connection per message).
    this.transport = createTransport({ url: config.SLADESK_SMTP_RELAY_URL, pool: true, maxConnections: 2 } as object);
  }

  async send(mail: OutgoingEmail): Promise<void> {
    await this.transport.sendMail({
      from: this.config.supportFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      messageId: mail.messageId,
      ...(mail.inReplyTo
        ? { inReplyTo: mail.inReplyTo, references: mail.references ?? [mail.inReplyTo] }
        : {}),
    });
  }

  onModuleDestroy(): void {
    this.transport.close();
  }
}
