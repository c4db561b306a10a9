import { Actor, AppError, Events, IntercomWebhookCommand, IntercomWebhookResult } from '@sladesk/contracts';
import { outboxEvent } from '@sladesk/messaging';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AccountRepository } from '../../../accounts/account.repository';
import { AppliedChange, CaseChanges } from '../../../cases/case-changes.service';
import { CaseRepository } from '../../../cases/case.repository';
import { Case } from '../../../cases/case.schema';
import { CreateCaseService } from '../../../cases/create-case/create-case.service';
import { RecordCustomerReplyService } from '../../../cases/record-customer-reply/record-customer-reply.service';
import { ResolveCaseService } from '../../../cases/resolve-case/resolve-case.service';
import { RespondToCaseService } from '../../../cases/respond-to-case/respond-to-case.service';
import { TimelineStore } from '../../../cases/timeline/timeline.store';
import { combine, entry, reopen } from '../../../cases/transitions';
import { IntakeEnv } from '../../../config';
import { StaffRepository } from '../../../staff/staff.repository';
import { ReviewQueueRepository } from '../../review-queue/review-queue.repository';
import { clip, firstLine, plainText } from '../../text';
import {
  CONVERSATION_TOPICS,
  ConversationAction,
  ignoredTopic,
  instant,
  IntercomAuthor,
  IntercomConversation,
  IntercomNotification,
  IntercomPart,
  isAdmin,
  isCustomer,
  lastPartBy,
  readNotification,
  senderOf,
} from '../intercom-notification';

/** Checks `X-Hub-Signature: sha1=<hex>` against the HMAC-SHA1 of the raw body, in constant time. */
export function signatureMatches(rawBody: string, header: string | undefined, secret: string): boolean {
  const match = /^sha1=([0-9a-f]{40})$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const expected = createHmac('sha1', secret).update(Buffer.from(rawBody, 'utf8')).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

type Conversational = IntercomNotification & { conversation: IntercomConversation };

/**
 * Intercom conversations as cases. A new conversation opens one (or waits in the review queue when
 * its author matches no account); a user reply is a customer reply; an admin reply is a response,
 * a note a note; closing resolves, opening reopens; snoozing, unsnoozing and assigning are recorded
 * as steps (the SLA clock and the assignee stay ours: see the README). Every correctly signed
 * notification is answered 2xx, each notification id is applied once, and what changes nothing is
 * answered `ignored` with the reason.
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
    private readonly changes: CaseChanges,
    private readonly review: ReviewQueueRepository,
    private readonly timeline: TimelineStore,
  ) {}

  async handle(cmd: IntercomWebhookCommand, now = new Date()): Promise<IntercomWebhookResult> {
    const secret = this.config.SLADESK_INTERCOM_CLIENT_SECRET;
    if (!secret)
      throw new AppError('CHANNEL.NOT_CONFIGURED', 'The Intercom channel is not configured (SLADESK_INTERCOM_CLIENT_SECRET)');
    if (!signatureMatches(cmd.rawBody, cmd.signature, secret))
      throw new AppError('CHANNEL.BAD_SIGNATURE', 'X-Hub-Signature does not match the body');
    let parsed: unknown;
    try {
      parsed = JSON.parse(cmd.rawBody);
    } catch {
      throw new AppError('REQUEST.MALFORMED', 'notification is not JSON');
    }
    const read = readNotification(parsed);
    if ('problem' in read) throw new AppError('REQUEST.MALFORMED', `not an Intercom notification: ${read.problem}`);
    const n = read.notification;
    const action = CONVERSATION_TOPICS[n.topic];
    if (!action || !n.conversation) return { outcome: 'ignored', reason: ignoredTopic(n.topic) };
    try {
      return await this.apply(action, n as Conversational, now);
    } catch (e) {
      // E.g. a reply to a case closed here: Intercom would redeliver forever, and nothing changes.
      if (e instanceof AppError && e.code === 'CASE.INVALID_TRANSITION') {
        this.logger.warn(`Intercom notification ${n.id} (${n.topic}) not applied: ${e.message}`);
        return { outcome: 'ignored', reason: e.message };
      }
      throw e;
    }
  }

  private async apply(action: ConversationAction, n: Conversational, now: Date): Promise<IntercomWebhookResult> {
    if (action === 'open') return this.opened(n, now);
    const existing = await this.cases.findByIntercomConversation(CROSS_ACCOUNT, n.conversation.id);
    if (action === 'customer-reply') return this.userReplied(n, existing, now);
    if (!existing) return { outcome: 'ignored', reason: `conversation ${n.conversation.id} has no case (it may wait in the review queue)` };
    switch (action) {
      case 'response':
        return this.adminReplied(n, existing, now);
      case 'resolve':
        return this.closed(n, existing, now);
      case 'reopen':
        return this.reopened(n, existing, now);
      default:
        return this.recorded(action, n, existing, now);
    }
  }

  private async opened(n: Conversational, now: Date, followUpOf?: Case): Promise<IntercomWebhookResult> {
    const conv = n.conversation;
    const sender = senderOf(conv.author);
    const body = clip(plainText(conv.body));
    const subject = (plainText(conv.subject) || firstLine(body) || `Intercom conversation ${conv.id}`).slice(0, 500);
    const account = sender.email ? await this.accounts.findBySender(sender.email) : null;
    const receivedAt = followUpOf ? instant(lastPartBy(conv, isCustomer)?.createdAt, now) : instant(conv.createdAt, now);
    if (!account) {
      const queued = await this.review.add({
        sourceKey: `intercom:${n.id}`,
        channel: 'intercom',
        reason: sender.noEmail ?? `no account knows ${sender.email}`,
        from: { name: sender.name, email: sender.email },
        ...(conv.author ? { intercomAuthor: conv.author } : {}),
        subject,
        text: body,
        attachments: [],
        receivedAt,
        emailMessageIds: [],
        intercomConversationId: conv.id,
      });
      return { outcome: queued.created ? 'review' : 'duplicate' };
    }
    const opened = await this.createCase.open(
      {
        accountId: account._id,
        contact: { name: sender.name, email: sender.email },
        channel: 'intercom',
        subject,
        description: body,
        receivedAt,
        idempotencyScope: followUpOf ? `intercom:${conv.id}:${n.id}` : `intercom:${conv.id}`,
        requestHash: 'intercom',
        intercomConversationId: conv.id,
        ...(followUpOf ? { followUpOf: followUpOf._id } : {}),
      },
      now,
    );
    return { outcome: opened.created ? 'applied' : 'duplicate', caseId: opened.case._id };
  }

  private async userReplied(n: Conversational, existing: Case | null, now: Date): Promise<IntercomWebhookResult> {
    // A conversation that began before the integration, or whose case was closed: a new case.
    if (!existing || existing.status === 'closed') return this.opened(withLatestCustomerText(n), now, existing ?? undefined);
    const part = lastPartBy(n.conversation, isCustomer);
    const applied = await this.customerReply.record(
      { caseId: existing._id, text: clip(plainText(part?.body ?? '')), at: instant(part?.createdAt, now), channel: 'intercom' },
      { key: `intercom:${n.id}` },
      now,
    );
    return outcome(applied);
  }

  private async adminReplied(n: Conversational, existing: Case, now: Date): Promise<IntercomWebhookResult> {
    const part = lastPartBy(n.conversation, isAdmin);
    const applied = await this.respond.respond(
      { caseId: existing._id, by: await this.actor(part?.author), text: clip(plainText(part?.body ?? '')), at: instant(part?.createdAt, now), givenIn: 'intercom' },
      { key: `intercom:${n.id}` },
      now,
    );
    return outcome(applied);
  }

  private async closed(n: Conversational, existing: Case, now: Date): Promise<IntercomWebhookResult> {
    if (existing.status === 'resolved' || existing.status === 'closed') {
      const redelivered = (await this.timeline.findBySource(existing, `intercom:${n.id}`)) !== undefined;
      return redelivered ? { outcome: 'duplicate', caseId: existing._id } : { outcome: 'ignored', caseId: existing._id, reason: `case ${existing._id} is ${existing.status} already` };
    }
    const part = latestPart(n.conversation);
    const summary = clip(plainText(part?.body ?? '')) || 'Conversation closed in Intercom';
    const applied = await this.resolve.resolve(
      { caseId: existing._id, by: await this.actor(part?.author), summary, at: instant(part?.createdAt, now) },
      { key: `intercom:${n.id}` },
      now,
    );
    return outcome(applied);
  }

  private async reopened(n: Conversational, existing: Case, now: Date): Promise<IntercomWebhookResult> {
    const part = latestPart(n.conversation);
    const by = await this.actor(part?.author);
    const at = instant(part?.createdAt, now);
    const applied = await this.changes.apply(
      existing._id,
      (c) => {
        if (c.status !== 'resolved' && c.status !== 'closed')
          throw new AppError('CASE.INVALID_TRANSITION', `case ${c._id} is ${c.status}: reopening it in Intercom changes nothing`);
        return combine(reopen(c, by, at, 'Reopened in Intercom'));
      },
      { key: `intercom:${n.id}` },
      now,
    );
    return outcome(applied);
  }

  /** A note, a snooze, an unsnooze or an assignment in Intercom: a step of the record, nothing more. */
  private async recorded(action: 'note' | 'snoozed' | 'unsnoozed' | 'assigned', n: Conversational, existing: Case, now: Date): Promise<IntercomWebhookResult> {
    const conv = n.conversation;
    const part = action === 'note' ? lastPartBy(conv, isAdmin) : latestPart(conv);
    const by = await this.actor(part?.author);
    const at = instant(part?.createdAt, now);
    const kind = action === 'note' ? 'note' : 'step';
    const { text, data } = await this.describe(action, conv, part);
    const applied = await this.changes.apply(
      existing._id,
      (c) => ({
        entries: [entry(kind, at, by, text, { channel: 'intercom', intercom: { topic: n.topic, ...data } })],
        events: [outboxEvent(Events.CaseNoteAdded, { caseId: c._id, accountId: c.accountId, at: at.toISOString(), by, kind }, now)],
      }),
      { key: `intercom:${n.id}` },
      now,
    );
    return outcome(applied);
  }

  private async describe(
    action: 'note' | 'snoozed' | 'unsnoozed' | 'assigned',
    conv: IntercomConversation,
    part: IntercomPart | undefined,
  ): Promise<{ text: string; data: Record<string, unknown> }> {
    switch (action) {
      case 'note':
        return { text: clip(plainText(part?.body ?? '')) || 'Note added in Intercom', data: {} };
      case 'snoozed': {
        const until = conv.snoozedUntil !== undefined ? new Date(conv.snoozedUntil * 1000).toISOString() : undefined;
        return { text: until ? `Snoozed in Intercom until ${until}` : 'Snoozed in Intercom', data: until ? { snoozedUntil: until } : {} };
      }
      case 'unsnoozed':
        return { text: 'Unsnoozed in Intercom', data: {} };
      case 'assigned': {
        const to = part?.assignedTo ?? (conv.adminAssigneeId ? { type: 'admin', id: conv.adminAssigneeId } : undefined);
        if (!to?.id) return { text: 'Unassigned in Intercom', data: {} };
        const member = to.type === 'admin' ? await this.staff.findByIntercomAdmin(to.id, undefined) : null;
        const name = member?.name ?? to.name ?? `${to.type ?? 'admin'} ${to.id}`;
        return { text: `Assigned in Intercom to ${name}`, data: { assignedTo: { ...to, ...(member ? { staffId: member._id } : {}) } } };
      }
    }
  }

  /** The staff member an Intercom admin is, else the admin's name; a bot or workflow is the system. */
  private async actor(author: IntercomAuthor | undefined): Promise<Actor> {
    if (author && author.type !== 'admin' && author.type !== undefined)
      return { kind: 'system', name: author.name ? `${author.name} (Intercom ${author.type})` : `Intercom ${author.type}` };
    const member = await this.staff.findByIntercomAdmin(author?.id, author?.email);
    return member ? { kind: 'staff', id: member._id, name: member.name } : { kind: 'staff', name: author?.name || 'Intercom admin' };
  }
}

const outcome = (a: AppliedChange): IntercomWebhookResult => ({ outcome: a.applied ? 'applied' : 'duplicate', caseId: a.case._id });

/** The part an admin action notification is about: the latest by an admin, else the latest. */
const latestPart = (c: IntercomConversation): IntercomPart | undefined => lastPartBy(c, isAdmin) ?? c.parts[c.parts.length - 1];

/** For a reply that opens a case, the customer's latest words are the inquiry. */
function withLatestCustomerText(n: Conversational): Conversational {
  const part = lastPartBy(n.conversation, isCustomer);
  if (!part?.body) return n;
  return { ...n, conversation: { ...n.conversation, body: part.body, author: part.author ?? n.conversation.author } };
}
