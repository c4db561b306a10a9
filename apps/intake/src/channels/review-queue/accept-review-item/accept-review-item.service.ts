import { AcceptReviewItemCommand, AppError, CaseView } from '@sladesk/contracts';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { CaseRepository, notFound } from '../../../cases/case.repository';
import { toCaseView } from '../../../cases/case.schema';
import { CreateCaseService } from '../../../cases/create-case/create-case.service';
import { ReviewQueueRepository } from '../review-queue.repository';

/**
 * A person attributes a queued message to an account: it becomes a case. Opening is idempotent per
 * item, so a crash between opening and marking the item is repaired by accepting again.
 */
@Injectable()
export class AcceptReviewItemService {
  constructor(
    private readonly queue: ReviewQueueRepository,
    private readonly createCase: CreateCaseService,
    private readonly cases: CaseRepository,
  ) {}

  async execute(cmd: AcceptReviewItemCommand): Promise<CaseView> {
    const item = await this.queue.get(cmd.id);
    if (item.status === 'accepted' && item.caseId) {
      const c = await this.cases.findById(CROSS_ACCOUNT, item.caseId);
      if (!c) throw notFound(item.caseId);
      return toCaseView(c);
    }
    if (item.status === 'dismissed')
      throw new AppError('REVIEW.ALREADY_DECIDED', `Review item ${item._id} was dismissed`);
    // A case needs an address for its contact; an Intercom lead may have given none.
    const contact = cmd.contact ?? (item.from.email ? item.from : undefined);
    if (!contact)
      throw new AppError('REVIEW.CONTACT_REQUIRED', `Review item ${item._id} names no email address for its sender: accept it with a contact`, {
        from: item.from,
        ...(item.intercomAuthor ? { intercomAuthor: item.intercomAuthor } : {}),
      });
    const { case: opened } = await this.createCase.open({
      accountId: cmd.accountId,
      contact: { name: contact.name, email: contact.email },
      channel: item.channel,
      subject: item.subject,
      description: item.text,
      receivedAt: item.receivedAt,
      idempotencyScope: `review:${item._id}`,
      requestHash: `review:${item._id}`,
      attachments: item.attachments,
      emailMessageIds: item.emailMessageIds,
      ...(item.intercomConversationId ? { intercomConversationId: item.intercomConversationId } : {}),
      acknowledge: item.channel === 'email',
    });
    await this.queue.decide(item._id, 'accepted', opened._id);
    return toCaseView(opened);
  }
}
