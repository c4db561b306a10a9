import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { OutboundEnv } from './config';
import { Delivery } from './delivery.schema';
import { composeTextMail } from './mime';

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
 * Mail through SLADESK_SMTP_URL (pooled). The Message-ID is the caller's (`messageId`) or derived from the
 * delivery id; either way it is stored with the delivery, so a resend after a crash carries the same one.
 */
@Injectable()
export class EmailTransport implements Transport, OnModuleDestroy {
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(private readonly config: OutboundEnv) {
    // Options and URL in one object: a second argument to createTransport holds message defaults, not
    // transport options (with `createTransport(url, { pool: true })` every message opens its own connection).
    this.transport = createTransport({
      url: config.SLADESK_SMTP_URL,
      pool: true,
      maxConnections: config.SLADESK_OUTBOUND_SMTP_CONNECTIONS,
      maxMessages: Infinity,
    } as object);
    this.domain = config.SLADESK_MAIL_FROM.slice(config.SLADESK_MAIL_FROM.indexOf('@') + 1);
  }

  async send(d: Delivery, files: AttachmentFile[] = []): Promise<void> {
    const from = d.from ?? this.config.SLADESK_MAIL_FROM;
    const messageId = d.messageId ?? `<${d._id}@${this.domain}>`;
    const headers = { ...(d.headers ?? {}), 'X-Sladesk-Delivery-Id': d._id, 'X-Sladesk-Notice-Id': d.noticeId };
    // A plain-text mail (every notice) is composed here, its shared parts encoded once (see composeTextMail);
    // nodemailer's pool sends it as it is. Anything else is composed by nodemailer.
    const raw = !d.html && !files.length ? composeTextMail({ from, to: d.to, toName: d.toName, subject: d.subject, text: d.text, messageId, headers: Object.entries(headers) }) : null;
    try {
      // The Message-ID is in the raw message (given here too, nodemailer would only parse it again).
      if (raw) await this.transport.sendMail({ envelope: { from, to: [d.to] }, raw });
      else
        await this.transport.sendMail({
          from,
          to: d.toName ? { name: d.toName, address: d.to } : d.to,
          subject: d.subject,
          text: d.text,
          ...(d.html ? { html: d.html } : {}),
          messageId,
          headers,
          ...(files.length ? { attachments: files.map((f) => ({ filename: f.filename, contentType: f.contentType, content: f.content })) } : {}),
        });
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      if (typeof code === 'number' && code >= 500) throw new PermanentDeliveryError(`${(e as Error).message}`);
      throw e;
    }
  }

  onModuleDestroy(): void {
    this.transport.close();
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
