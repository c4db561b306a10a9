import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { Case } from '../../cases/case.schema';
import { IntakeEnv } from '../../config';
import { Delivery } from './delivery.schema';

export type NewDelivery = Omit<Delivery, 'entrySeq'>;
export interface OutgoingMessages {
  deliveries: NewDelivery[];
  /** Our Message-IDs, added to the case's thread so that replies to them find the case. */
  emailMessageIds: string[];
}

const NONE: OutgoingMessages = { deliveries: [], emailMessageIds: [] };
/** Intercom bodies are HTML. */
const toHtml = (text: string) =>
  text
    .split(/\n{2,}/)
    .map(
      (p) =>
        `<p>${p.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>')}</p>`,
    )
    .join('');

export const caseTag = (number: number) => `[Case #${number}]`;
/** Finds the case number we put in the subjects of our mail. */
export const CASE_TAG = /\[Case #(\d{1,12})\]/i;

/** Builds the messages that carry a change to the customer, on the channel they wrote on. */
@Injectable()
export class Outgoing {
  private readonly domain: string;

  constructor(private readonly config: IntakeEnv) {
    this.domain = config.supportFrom.slice(config.supportFrom.indexOf('@') + 1);
  }

  /** The automatic receipt of a case opened by mail; it tells the number to quote. */
  acknowledgement(c: Pick<Case, 'number' | 'subject' | 'contact' | 'emailMessageIds'>, now: Date): OutgoingMessages {
    const text = [
      `Hello ${c.contact.name},`,
      '',
      `we received your request and recorded it as case #${c.number}. We will get back to you soon.`,
      'Reply to this message to add information to the case.',
    ].join('\n');
    return this.email(c, `${caseTag(c.number)} ${c.subject}`, text, now);
  }

  /** A staff response, sent by mail or posted to the Intercom conversation; other channels get nothing. */
  response(c: Case, text: string, now: Date, intercomAdminId?: string): OutgoingMessages {
    if (c.channel === 'email') return this.email(c, `Re: ${caseTag(c.number)} ${c.subject}`, text, now);
    if (c.channel === 'intercom' && c.intercomConversationId) {
      const adminId = intercomAdminId ?? this.config.SLADESK_INTERCOM_ADMIN_ID;
      return {
        deliveries: [
          {
            id: uuidv7(),
            channel: 'intercom',
            attempts: 0,
            nextAttemptAt: now,
            intercom: {
              conversationId: c.intercomConversationId,
              ...(adminId ? { adminId } : {}),
              body: toHtml(text),
            },
          },
        ],
        emailMessageIds: [],
      };
    }
    return NONE;
  }

  private email(
    c: Pick<Case, 'contact' | 'emailMessageIds'>,
    subject: string,
    text: string,
    now: Date,
  ): OutgoingMessages {
    const messageId = `<${uuidv7()}@${this.domain}>`;
    const thread = c.emailMessageIds ?? [];
    const inReplyTo = thread[thread.length - 1];
    return {
      deliveries: [
        {
          id: uuidv7(),
          channel: 'email',
          attempts: 0,
          nextAttemptAt: now,
          email: {
            to: c.contact.email,
            subject,
            text,
            messageId,
            ...(inReplyTo ? { inReplyTo, references: thread.slice(-20) } : {}),
          },
        },
      ],
      emailMessageIds: [messageId],
    };
  }
}
