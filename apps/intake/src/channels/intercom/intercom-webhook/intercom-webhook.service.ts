import { Actor, AppError, IntercomWebhookCommand, IntercomWebhookResult } from '@sladesk/contracts';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AccountRepository } from '../../../accounts/account.repository';
import { AppliedChange } from '../../../cases/case-changes.service';
import { CaseRepository } from '../../../cases/case.repository';
import { Case } from '../../../cases/case.schema';
import { CreateCaseService } from '../../../cases/create-case/create-case.service';
import { RecordCustomerReplyService } from '../../../cases/record-customer-reply/record-customer-reply.service';
import { ResolveCaseService } from '../../../cases/resolve-case/resolve-case.service';
import { RespondToCaseService } from '../../../cases/respond-to-case/respond-to-case.service';
import { TimelineStore } from '../../../cases/timeline/timeline.store';
import { IntakeEnv } from '../../../config';
import { StaffRepository } from '../../../staff/staff.repository';
import { ReviewQueueRepository } from '../../review-queue/review-queue.repository';
import { clip, firstLine, plainText } from '../../text';
import {
  instant,
  IntercomConversation,
  IntercomNotification,
  isCustomer,
  lastPartBy,
  notificationProblem,
} from '../intercom-notification';

/** Checks `X-Hub-Signature: sha1=<hex>` against the HMAC-SHA1 of the raw body, in constant time. */
export function signatureMatches(rawBody: string, header: string | undefined, secret: string): boolean {
  const match = /^sha1=([0-9a-f]{40})$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const expected = createHmac('sha1', secret).update(Buffer.from(rawBody, 'utf8')).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

/**
 * Intercom conversations as cases: a new conversation opens one, a user reply is a customer reply,
 * an admin reply is a response, closing resolves. Each notification id is applied once.
 */
@Injectable()
export class IntercomWebhookService {
  private readonly logger = new Logger(IntercomWebhookService.name);

  constructor(
    private readonly config: IntakeEnv,
    private readonly cases: CaseRepository,
    private readonly accounts: AccountRepository,
    private readonly staff: StaffRepository,
    private readonly createCase: CreateCaseService,
    private readonly customerReply: RecordCustomerReplyService,
    private readonly respond: RespondToCaseService,
    private readonly resolve: ResolveCaseService,
    private readonly review: ReviewQueueRepository,
    private readonly timeline: TimelineStore,
  ) {}

  async handle(cmd: IntercomWebhookCommand, now = new Date()): Promise<IntercomWebhookResult> {
    const secret = this.config.SLADESK_INTERCOM_CLIENT_SECRET;
    if (!secret)
      throw new AppError(
        'CHANNEL.NOT_CONFIGURED',
        'The Intercom channel is not configured (SLADESK_INTERCOM_CLIENT_SECRET)',
      );
    if (!signatureMatches(cmd.rawBody, cmd.signature, secret))
      throw new AppError('CHANNEL.BAD_SIGNATURE', 'X-Hub-Signature does not match the body');
    let parsed: unknown;
    try {
      parsed = JSON.parse(cmd.rawBody);
    } catch {
      throw new AppError('REQUEST.MALFORMED', 'notification is not JSON');
    }
    const problem = notificationProblem(parsed);
    if (problem) throw new AppError('REQUEST.MALFORMED', `not an Intercom notification: ${problem}`);
    const n = parsed as IntercomNotification;
    try {
      switch (n.topic) {
        case 'conversation.user.created':
          return await this.opened(n, now);
        case 'conversation.user.replied':
          return await this.userReplied(n, now);
        case 'conversation.admin.replied':
          return await this.adminReplied(n, now);
        case 'conversation.admin.closed':
          return await this.closed(n, now);
        default:
          return { outcome: 'ignored' };
      }
    } catch (e) {
      // E.g. a reply to a case closed here: Intercom would redeliver forever, and nothing changes.
      if (e instanceof AppError && e.code === 'CASE.INVALID_TRANSITION') {
        this.logger.warn(`Intercom notification ${n.id} (${n.topic}) not applied: ${e.message}`);
        return { outcome: 'ignored' };
      }
      throw e;
    }
  }

  private async opened(
    n: IntercomNotification,
    now: Date,
    followUpOf?: Case,
  ): Promise<IntercomWebhookResult> {
    const conv = n.data.item;
    const author = conv.source?.author;
    const email = author?.email?.trim().toLowerCase() ?? '';
    const body = clip(plainText(conv.source?.body ?? ''));
    const subject =
      plainText(conv.source?.subject ?? '') || firstLine(body) || `Intercom conversation ${conv.id}`;
    const contact = { name: author?.name?.trim() || email.split('@')[0] || 'Intercom user', email };
    const account = isEmail(email) ? await this.accounts.findBySender(email) : null;
    if (!account) {
      const queued = await this.review.add({
        sourceKey: `intercom:${n.id}`,
        channel: 'intercom',
        reason: isEmail(email) ? `no account knows ${email}` : 'the Intercom user has no email address',
        from: contact,
        subject,
        text: body,
        attachments: [],
        receivedAt: instant(conv.created_at, now),
        emailMessageIds: [],
        intercomConversationId: conv.id,
      });
      return { outcome: queued.created ? 'review' : 'duplicate' };
    }
    const opened = await this.createCase.open(
      {
        accountId: account._id,
        contact,
        channel: 'intercom',
        subject: subject.slice(0, 500),
        description: body,
        receivedAt: followUpOf
          ? instant(lastPartBy(conv, isCustomer)?.created_at, now)
          : instant(conv.created_at, now),
        idempotencyScope: followUpOf ? `intercom:${conv.id}:${n.id}` : `intercom:${conv.id}`,
        requestHash: 'intercom',
        intercomConversationId: conv.id,
        ...(followUpOf ? { followUpOf: followUpOf._id } : {}),
      },
      now,
    );
    return { outcome: opened.created ? 'applied' : 'duplicate', caseId: opened.case._id };
  }

  private async userReplied(n: IntercomNotification, now: Date): Promise<IntercomWebhookResult> {
    const conv = n.data.item;
    const existing = await this.cases.findByIntercomConversation(CROSS_ACCOUNT, conv.id);
    // A conversation that began before the integration, or whose case was closed: a new case.
    if (!existing || existing.status === 'closed')
      return this.opened(withLatestCustomerText(n), now, existing ?? undefined);
    const part = lastPartBy(conv, isCustomer);
    const applied = await this.customerReply.record(
      {
        caseId: existing._id,
        text: clip(plainText(part?.body ?? '')),
        at: instant(part?.created_at, now),
        channel: 'intercom',
      },
      { key: `intercom:${n.id}` },
      now,
    );
    return outcome(applied);
  }

  private async adminReplied(n: IntercomNotification, now: Date): Promise<IntercomWebhookResult> {
    const conv = n.data.item;
    const existing = await this.cases.findByIntercomConversation(CROSS_ACCOUNT, conv.id);
    if (!existing) return { outcome: 'ignored' };
    const part = lastPartBy(conv, (a) => a?.type === 'admin');
    const by = await this.adminActor(part?.author);
    const applied = await this.respond.respond(
      {
        caseId: existing._id,
        by,
        text: clip(plainText(part?.body ?? '')),
        at: instant(part?.created_at, now),
        givenIn: 'intercom',
      },
      { key: `intercom:${n.id}` },
      now,
    );
    return outcome(applied);
  }

  private async closed(n: IntercomNotification, now: Date): Promise<IntercomWebhookResult> {
    const conv = n.data.item;
    const existing = await this.cases.findByIntercomConversation(CROSS_ACCOUNT, conv.id);
    if (!existing) return { outcome: 'ignored' };
    if (existing.status === 'resolved' || existing.status === 'closed') {
      const redelivered = (await this.timeline.findBySource(existing, `intercom:${n.id}`)) !== undefined;
      return { outcome: redelivered ? 'duplicate' : 'ignored', caseId: existing._id };
    }
    const part = lastPartBy(conv, (a) => a?.type === 'admin');
    const by = await this.adminActor(part?.author);
    const summary = clip(plainText(part?.body ?? '')) || 'Conversation closed in Intercom';
    const applied = await this.resolve.resolve(
      { caseId: existing._id, by, summary, at: instant(part?.created_at, now) },
      { key: `intercom:${n.id}` },
      now,
    );
    return outcome(applied);
  }

  private async adminActor(
    author: { id?: string; name?: string | null; email?: string | null } | undefined,
  ): Promise<Actor> {
    const member = await this.staff.findByIntercomAdmin(author?.id, author?.email ?? undefined);
    return member
      ? { kind: 'staff', id: member._id, name: member.name }
      : { kind: 'staff', name: author?.name?.trim() || 'Intercom admin' };
  }
}

const outcome = (a: AppliedChange): IntercomWebhookResult => ({
  outcome: a.applied ? 'applied' : 'duplicate',
  caseId: a.case._id,
});

/** For a reply that opens a case, the customer's latest words are the inquiry. */
function withLatestCustomerText(n: IntercomNotification): IntercomNotification {
  const part = lastPartBy(n.data.item, isCustomer);
  if (!part?.body) return n;
  const item: IntercomConversation = {
    ...n.data.item,
    source: { ...n.data.item.source, body: part.body, author: part.author ?? n.data.item.source?.author },
  };
  return { ...n, data: { item } };
}
