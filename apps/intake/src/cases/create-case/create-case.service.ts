import {
  Actor,
  AppError,
  CaseView,
  Category,
  Channel,
  CreateCaseCommand,
  Events,
  Severity,
} from '@sladesk/contracts';
import { OutboxRelay, outboxEvent } from '@sladesk/messaging';
import { CROSS_ACCOUNT } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AccountRepository } from '../../accounts/account.repository';
import { DeliveryHandOff } from '../../channels/delivery/delivery-hand-off';
import { Outgoing } from '../../channels/delivery/outgoing';
import { Keys } from '../../common/keys';
import { IntakeEnv } from '../../config';
import { isDuplicateKey, requestHash } from '../../common/request-hash';
import { CaseRepository } from '../case.repository';
import { Attachment, Case, toCaseView } from '../case.schema';
import { Classifier } from '../classification/classifier';
import { GENESIS_HASH, seal } from '../timeline/timeline';
import { entry } from '../transitions';
import { timelineAppended } from '../case-changes.service';
import { assertNotInFuture, notAfter } from './received-at';

/** An inquiry to record, from any channel. */
export interface Inquiry {
  accountId: string;
  contact: { name: string; email: string };
  channel: Channel;
  subject: string;
  description: string;
  severity?: Severity;
  category?: Category;
  receivedAt: Date;
  /** Makes opening idempotent: `accountId:Idempotency-Key`, `intercom:<conversation>`, `email:<Message-ID>` … */
  idempotencyScope?: string;
  requestHash: string;
  attachments?: Attachment[];
  intercomConversationId?: string;
  emailMessageIds?: string[];
  followUpOf?: string;
  /** Mail the contact a receipt with the case number. */
  acknowledge?: boolean;
}

const SYSTEM: Actor = { kind: 'system', name: 'SLA Desk' };
/** Case numbers are reserved this many at a time: a restart skips at most this many, none is reused. */
const NUMBER_BLOCK = 10;

/** Records an inquiry as a case (its first timeline entry) and announces it (`case.opened`) through the outbox. */
@Injectable()
export class CreateCaseService {
  constructor(
    private readonly cases: CaseRepository,
    private readonly accounts: AccountRepository,
    private readonly classifier: Classifier,
    private readonly outgoing: Outgoing,
    private readonly relay: OutboxRelay,
    private readonly deliveries: DeliveryHandOff,
    private readonly keys: Keys,
    private readonly config: IntakeEnv,
  ) {}

  private numbers = { next: 1, last: 0 };
  private reserving: Promise<unknown> = Promise.resolve();

  /** Next readable case number (1, 2, 3 …; per instance, in blocks). One reservation at a time: FerretDB loses racing `$inc`s. */
  private nextNumber(): Promise<number> {
    const next = this.reserving.then(async () => {
      if (this.numbers.next > this.numbers.last) {
        const last = await this.cases.reserveNumbers(NUMBER_BLOCK);
        this.numbers = { next: last - NUMBER_BLOCK + 1, last };
      }
      return this.numbers.next++;
    });
    this.reserving = next.catch(() => undefined);
    return next;
  }

  async execute(cmd: CreateCaseCommand, now = new Date()): Promise<CaseView> {
    const { idempotencyKey, scope, ...body } = cmd;
    // An account-scoped caller opens cases in its own account only (the gateway forced it already).
    if (scope && scope.accountId !== cmd.accountId) throw new AppError('ACCOUNT.NOT_FOUND', `Account ${cmd.accountId} does not exist`);
    const receivedAt = cmd.receivedAt ? new Date(cmd.receivedAt) : now;
    assertNotInFuture(receivedAt, now, this.config.SLADESK_CLOCK_SKEW_MS);
    const opened = await this.open(
      {
        ...body,
        receivedAt,
        idempotencyScope: idempotencyKey ? `${cmd.accountId}:${idempotencyKey}` : undefined,
        requestHash: requestHash(body),
      },
      now,
    );
    return toCaseView(opened.case);
  }

  /** Opens the case, or returns the one this `idempotencyScope` opened before (`created: false`). */
  async open(inquiry: Inquiry, now = new Date()): Promise<{ case: Case; created: boolean }> {
    let id = uuidv7();
    if (inquiry.idempotencyScope) {
      // The key document reserves the case id first; a retry finds the case through it, and a retry
      // after a crash between the two writes opens the case under the reserved id.
      const { key, created } = await this.keys.claim('scope', inquiry.idempotencyScope, { caseId: id, requestHash: inquiry.requestHash });
      if (!created) {
        const earlier = await this.cases.findById(CROSS_ACCOUNT, key.caseId!);
        if (earlier) return { case: replay(earlier, inquiry.requestHash), created: false };
        if (key.requestHash !== inquiry.requestHash) throw keyReused();
        id = key.caseId!;
      }
    }
    await this.accounts.assertExists(inquiry.accountId);

    const number = await this.nextNumber();
    const contact = { name: inquiry.contact.name, email: inquiry.contact.email.toLowerCase() };
    const { severity, category, reasons } = this.classifier.classify(inquiry);
    const received = notAfter(inquiry.receivedAt, now);
    const receivedAt = received.toISOString();
    const thread = inquiry.emailMessageIds ?? [];
    const ack = inquiry.acknowledge
      ? this.outgoing.acknowledgement(
          { number, subject: inquiry.subject, contact, emailMessageIds: thread },
          now,
        )
      : undefined;
    const timeline = seal(id, { seq: 0, hash: GENESIS_HASH }, [
      {
        ...entry('opened', received, { kind: 'contact', name: contact.name }, inquiry.description, {
          subject: inquiry.subject,
          channel: inquiry.channel,
          contactEmail: contact.email,
          severity,
          category,
          classification: reasons,
        }),
        recordedAt: now,
        ...(inquiry.attachments?.length ? { attachments: inquiry.attachments } : {}),
      },
      ...(ack
        ? [
            {
              ...entry('acknowledged', now, SYSTEM, `Receipt of case #${number} mailed to ${contact.email}`),
              recordedAt: now,
            },
          ]
        : []),
    ], this.config.SLADESK_PERSONAL_DATA_COMMITMENTS);
    const doc: Omit<Case, 'createdAt' | 'updatedAt'> = {
      _id: id,
      number,
      accountId: inquiry.accountId,
      idempotencyScope: inquiry.idempotencyScope ?? id,
      requestHash: inquiry.requestHash,
      contact,
      channel: inquiry.channel,
      subject: inquiry.subject,
      description: inquiry.description,
      analysis: '',
      severity,
      category,
      classification: reasons,
      status: 'new',
      receivedAt: received,
      reopenCount: 0,
      slaBreached: false,
      ...(inquiry.followUpOf ? { followUpOf: inquiry.followUpOf } : {}),
      ...(inquiry.intercomConversationId ? { intercomConversationId: inquiry.intercomConversationId } : {}),
      emailMessageIds: [...thread, ...(ack?.emailMessageIds ?? [])],
      attachments: inquiry.attachments ?? [],
      seq: timeline[timeline.length - 1].seq,
      headHash: timeline[timeline.length - 1].hash,
      timeline,
      deliveries: (ack?.deliveries ?? []).map((d) => ({ ...d, entrySeq: 2 })),
      timelineBuckets: [],
      outbox: [
        outboxEvent(
          Events.CaseOpened,
          {
            caseId: id,
            number,
            accountId: inquiry.accountId,
            channel: inquiry.channel,
            severity,
            category,
            receivedAt,
          },
          now,
        ),
        timelineAppended({ _id: id, accountId: inquiry.accountId }, timeline, now),
      ],
    };
    // Secondary keys first: a key may point at a case that a crash kept from being written, never the reverse.
    await Promise.all([
      this.keys.put('number', String(number), { caseId: id }),
      ack ? this.deliveries.expect(id, now) : undefined,
      inquiry.intercomConversationId ? this.keys.addCase('intercom', inquiry.intercomConversationId, id) : undefined,
      doc.emailMessageIds.length ? this.cases.indexThread(id, doc.emailMessageIds) : undefined,
    ]);
    try {
      const created = await this.cases.insert(doc);
      this.relay.published(this.cases.caseModel, id);
      if (ack) this.deliveries.kick(id);
      return { case: created, created: true };
    } catch (e) {
      // A concurrent retry (or redelivery) with the same scope won the race: answer with its case.
      if (inquiry.idempotencyScope && isDuplicateKey(e)) {
        const winner = await this.cases.findById(CROSS_ACCOUNT, id);
        if (winner) return { case: replay(winner, inquiry.requestHash), created: false };
      }
      throw e;
    }
  }
}

const keyReused = () =>
  new AppError('IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was already used for a different request');

function replay(earlier: Case, hash: string): Case {
  if (earlier.requestHash !== hash) throw keyReused();
  return earlier;
}
