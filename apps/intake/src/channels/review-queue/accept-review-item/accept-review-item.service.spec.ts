import { AppError } from '@sladesk/contracts';
import { CaseRepository } from '../../../cases/case.repository';
import { Case } from '../../../cases/case.schema';
import { CreateCaseService, Inquiry } from '../../../cases/create-case/create-case.service';
import { ReviewItem } from '../review-item.schema';
import { ReviewQueueRepository } from '../review-queue.repository';
import { AcceptReviewItemService } from './accept-review-item.service';

const item = (over: Partial<ReviewItem> = {}): ReviewItem => ({
  _id: 'rev-1',
  sourceKey: 'intercom:notif-1',
  channel: 'intercom',
  reason: 'the Intercom lead has no email address',
  from: { name: 'Intercom lead 5f1b', email: '' },
  intercomAuthor: { type: 'lead', id: '5f1b' },
  subject: 'Export hangs',
  text: 'The nightly export never finishes.',
  attachments: [],
  receivedAt: new Date('2026-11-27T09:59:30Z'),
  status: 'pending',
  emailMessageIds: [],
  intercomConversationId: 'conv-1',
  createdAt: new Date(),
  updatedAt: new Date(),
  ...over,
});

function sut(queued: ReviewItem) {
  const opened: Inquiry[] = [];
  const decided: [string, string, string | undefined][] = [];
  const queue = {
    get: async () => queued,
    decide: async (id: string, status: string, caseId?: string) => (decided.push([id, status, caseId]), null),
  } as unknown as ReviewQueueRepository;
  const createCase = {
    open: async (inquiry: Inquiry) => {
      opened.push(inquiry);
      return { case: { _id: 'case-1', contact: inquiry.contact, timeline: [], deliveries: [], attachments: [], emailMessageIds: [], timelineBuckets: [] } as unknown as Case, created: true };
    },
  } as unknown as CreateCaseService;
  return { service: new AcceptReviewItemService(queue, createCase, {} as CaseRepository), opened, decided };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e) => (e instanceof AppError ? e.code : String(e)));

describe(AcceptReviewItemService.name, () => {
  it('refuses to open a case for a sender without an address unless a contact is given (422 REVIEW.CONTACT_REQUIRED)', async () => {
    const { service, opened, decided } = sut(item());
    expect(await codeOf(service.execute({ id: 'rev-1', accountId: 'acme' }))).toBe('REVIEW.CONTACT_REQUIRED');
    expect(opened).toEqual([]);
    expect(decided).toEqual([]);
  });

  it('opens the case with the contact given, for the Intercom conversation, and marks the item accepted', async () => {
    const { service, opened, decided } = sut(item());
    await codeOf(service.execute({ id: 'rev-1', accountId: 'acme', contact: { name: 'Grace Hopper', email: 'grace@acme.test' } }));
    expect(opened).toEqual([
      expect.objectContaining({ accountId: 'acme', contact: { name: 'Grace Hopper', email: 'grace@acme.test' }, channel: 'intercom', intercomConversationId: 'conv-1', idempotencyScope: 'review:rev-1' }),
    ]);
    expect(decided).toEqual([['rev-1', 'accepted', 'case-1']]);
  });

  it('takes the sender as the contact when the message named an address', async () => {
    const { service, opened } = sut(item({ from: { name: 'Ada', email: 'ada@unknown.test' }, intercomAuthor: undefined }));
    await codeOf(service.execute({ id: 'rev-1', accountId: 'acme' }));
    expect(opened[0].contact).toEqual({ name: 'Ada', email: 'ada@unknown.test' });
  });
});
