import { Injectable, OnModuleDestroy } from '@nestjs/common';
import MailComposer from 'nodemailer/lib/mail-composer';
import { OutboundEnv } from './config';
import { Delivery } from './delivery.schema';
import { composeTextMail } from './mime';
import { SmtpPool } from './smtp-pool';

/** A failure that retrying cannot fix (a 5xx from the mail server, a 4xx from Intercom, a missing token). */
export class PermanentDeliveryError extends Error {}

/** An attachment's bytes, read for one attempt (see OutboundAttachment). */
export interface AttachmentFile {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface Transport {
  send(d: Delivery, files?: AttachmentFile[]): Promise<void>;
}

/**
 * Mail through SLADESK_SMTP_URL, over at most SLADESK_OUTBOUND_SMTP_CONNECTIONS sessions kept open
 * (`SmtpPool`). The Message-ID is the caller's (`messageId`) or derived from the delivery id; either way
 * it is stored with the delivery, so a resend after a crash carries the same one.
 */
@Injectable()
export class EmailTransport implements Transport, OnModuleDestroy {
  private readonly pool: SmtpPool;
  private readonly domain: string;

  constructor(private readonly config: OutboundEnv) {
    this.pool = new SmtpPool(config.SLADESK_SMTP_URL, config.SLADESK_OUTBOUND_SMTP_CONNECTIONS);
    this.domain = config.SLADESK_MAIL_FROM.slice(config.SLADESK_MAIL_FROM.indexOf('@') + 1);
  }

  async send(d: Delivery, files: AttachmentFile[] = []): Promise<void> {
    const from = d.from ?? this.config.SLADESK_MAIL_FROM;
    const messageId = d.messageId ?? `<${d._id}@${this.domain}>`;
    const headers = { ...(d.headers ?? {}), 'X-Sladesk-Delivery-Id': d._id, 'X-Sladesk-Notice-Id': d.noticeId };
    // A plain-text mail (every notice) is composed here, its shared parts encoded once (see composeTextMail);
    // anything else (HTML, attachments, unusual addresses or headers) by nodemailer's composer, whose
    // envelope gives the sender's bare address (as nodemailer's transports take it) should `from` carry a name.
    let message = !d.html && !files.length ? composeTextMail({ from, to: d.to, toName: d.toName, subject: d.subject, text: d.text, messageId, headers: Object.entries(headers) }) : null;
    let envelope = { from, to: [d.to] };
    if (!message) {
      const node = new MailComposer({
        from,
        to: d.toName ? { name: d.toName, address: d.to } : d.to,
        subject: d.subject,
        text: d.text,
        ...(d.html ? { html: d.html } : {}),
        messageId,
        headers,
        ...(files.length ? { attachments: files.map((f) => ({ filename: f.filename, contentType: f.contentType, content: f.content })) } : {}),
      }).compile();
      envelope = { from: node.getEnvelope().from || from, to: [d.to] };
      message = await node.build();
    }
    try {
      await this.pool.send(envelope, message);
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      if (typeof code === 'number' && code >= 500) throw new PermanentDeliveryError(`${(e as Error).message}`);
      throw e;
    }
  }

  onModuleDestroy(): void {
    this.pool.close();
  }
}

/** Intercom messages (`POST /messages`, in-app, from our admin to the contact's Intercom user). */
@Injectable()
export class IntercomTransport implements Transport {
  constructor(private readonly config: OutboundEnv) {}

  async send(d: Delivery): Promise<void> {
    const admin = d.from ?? this.config.SLADESK_INTERCOM_ADMIN_ID;
    if (!admin) throw new PermanentDeliveryError('SLADESK_INTERCOM_ADMIN_ID is not set');
    await postToIntercom(this.config, '/messages', {
      message_type: 'inapp',
      body: d.html ?? d.text,
      from: { type: 'admin', id: admin },
      to: { type: 'user', id: d.to },
    });
  }
}

/**
 * Replies in an Intercom conversation (`POST /conversations/{to}/reply`, a comment from the admin the
 * delivery names in `from`, else SLADESK_INTERCOM_ADMIN_ID): the channel `intercom-reply`.
 */
@Injectable()
export class IntercomReplyTransport implements Transport {
  constructor(private readonly config: OutboundEnv) {}

  async send(d: Delivery): Promise<void> {
    const admin = d.from ?? this.config.SLADESK_INTERCOM_ADMIN_ID;
    if (!admin) throw new PermanentDeliveryError('no Intercom admin for the reply (the message names none and SLADESK_INTERCOM_ADMIN_ID is not set)');
    await postToIntercom(this.config, `/conversations/${encodeURIComponent(d.to)}/reply`, {
      message_type: 'comment',
      type: 'admin',
      admin_id: admin,
      body: d.html ?? d.text,
    });
  }
}

async function postToIntercom(config: OutboundEnv, path: string, body: unknown): Promise<void> {
  const token = config.SLADESK_INTERCOM_TOKEN;
  if (!token) throw new PermanentDeliveryError('SLADESK_INTERCOM_TOKEN is not set');
  const res = await fetch(`${config.SLADESK_INTERCOM_API_URL.replace(/\/+$/, '')}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'intercom-version': '2.11',
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.ok) return;
  const detail = `Intercom answered ${res.status}: ${(await res.text().catch(() => '')).slice(0, 300)}`;
  // 4xx (but 408/429) will not get better by retrying.
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new PermanentDeliveryError(detail);
  throw new Error(detail);
}
