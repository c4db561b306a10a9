import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import type { AddressObject, ParsedMail } from 'mailparser';
import { AccountRepository, speaksFor } from '../../accounts/account.repository';
import { CaseRepository } from '../../cases/case.repository';
import { Case } from '../../cases/case.schema';
import { CreateCaseService } from '../../cases/create-case/create-case.service';
import { RecordCustomerReplyService } from '../../cases/record-customer-reply/record-customer-reply.service';
import { CASE_TAG } from '../delivery/outgoing';
import { ReviewQueueRepository } from '../review-queue/review-queue.repository';
import { attachmentMeta, clip, plainText } from '../text';

export interface InboundOutcome {
  outcome: 'opened' | 'replied' | 'duplicate' | 'review';
  caseId?: string;
  caseNumber?: number;
}

const MESSAGE_ID = /<[^<>\s]{1,250}>/g;
const messageIds = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((v) => v.match(MESSAGE_ID) ?? []);

/**
 * A mail to a support address: a reply (In-Reply-To/References name our thread, or the subject
 * carries `[Case #N]`) is threaded into its case; a new mail from a known sender opens a case with
 * a receipt; anything else waits in the review queue. One Message-ID is recorded once.
 */
@Injectable()
export class InboundEmailService {
  constructor(
    private readonly cases: CaseRepository,
    private readonly accounts: AccountRepository,
    private readonly createCase: CreateCaseService,
    private readonly customerReply: RecordCustomerReplyService,
    private readonly review: ReviewQueueRepository,
  ) {}

  /** `fallbackId` names a mail that has no Message-ID (a digest of its bytes). */
  async receive(mail: ParsedMail, fallbackId: string, now = new Date()): Promise<InboundOutcome> {
    const messageId = messageIds(mail.messageId)[0] ?? `<${fallbackId}@no-message-id.sladesk>`;
    const sender = (mail.from as AddressObject | undefined)?.value?.[0];
    const email = sender?.address?.trim().toLowerCase() ?? '';
    const from = {
      name: sender?.name?.trim() || email.split('@')[0] || 'unknown sender',
      email: email || 'unknown',
    };
    const subject = (mail.subject?.trim() || '(no subject)').slice(0, 500);
    const text = clip(
      mail.text?.trim() ? mail.text.trim() : plainText(typeof mail.html === 'string' ? mail.html : ''),
    );
    const attachments = (mail.attachments ?? []).map(attachmentMeta);
    const toReview = async (reason: string): Promise<InboundOutcome> => {
      const queued = await this.review.add({
        sourceKey: `email:${messageId}`,
        channel: 'email',
        reason,
        from,
        subject,
        text,
        attachments,
        receivedAt: now,
        emailMessageIds: [messageId],
      });
      return { outcome: queued.created ? 'review' : 'duplicate' };
    };
    if (!isEmail(email)) return toReview('the sender address is missing or malformed');

    const thread = await this.threadOf(mail, subject);
    if (thread) {
      const account = await this.accounts.get(thread.accountId);
      if (thread.contact.email !== email && !speaksFor(account, email))
        return toReview(`${email} is not a contact of the account of case #${thread.number}`);
      if (thread.status !== 'closed') {
        const applied = await this.customerReply.record(
          {
            caseId: thread._id,
            from,
            text,
            at: now,
            channel: 'email',
            attachments,
            emailMessageId: messageId,
          },
          { key: `email:${messageId}` },
          now,
        );
        return {
          outcome: applied.applied ? 'replied' : 'duplicate',
          caseId: thread._id,
          caseNumber: thread.number,
        };
      }
    }

    const account = thread
      ? await this.accounts.get(thread.accountId)
      : await this.accounts.findBySender(email);
    if (!account) return toReview(`no account knows ${email}`);
    const opened = await this.createCase.open(
      {
        accountId: account._id,
        contact: from,
        channel: 'email',
        subject,
        description: text,
        receivedAt: now,
        idempotencyScope: `email:${messageId}`,
        requestHash: 'email',
        attachments,
        emailMessageIds: [messageId],
        ...(thread ? { followUpOf: thread._id } : {}),
        acknowledge: true,
      },
      now,
    );
    return {
      outcome: opened.created ? 'opened' : 'duplicate',
      caseId: opened.case._id,
      caseNumber: opened.case.number,
    };
  }

  private async threadOf(mail: ParsedMail, subject: string): Promise<Case | null> {
    const refs = [...messageIds(mail.inReplyTo), ...messageIds(mail.references)];
    const byHeaders = await this.cases.findByEmailMessageIds(CROSS_ACCOUNT, refs);
    if (byHeaders) return byHeaders;
    const tag = CASE_TAG.exec(subject);
    return tag ? this.cases.findByNumber(CROSS_ACCOUNT, Number(tag[1])) : null;
  }
}
