import { AppError, CaseStatus, EventEnvelope, Severity } from '@sladesk/contracts';
import { AccountScopedRepository, Scope } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, UpdateQuery } from 'mongoose';
import { Delivery } from '../channels/delivery/delivery.schema';
import { Case, Counter, TimelineEntry } from './case.schema';

export interface CaseListFilter {
  status?: CaseStatus;
  severity?: Severity;
  receivedFrom?: Date;
  receivedBefore?: Date;
  breached?: boolean;
  /** Exclusive: only cases older than this id. */
  beforeId?: string;
}

/** What one change writes into a case, atomically. */
export interface CaseWrite {
  entries: TimelineEntry[];
  set?: Record<string, unknown>;
  unset?: string[];
  events: EventEnvelope[];
  deliveries?: Delivery[];
  emailMessageIds?: string[];
}

const LIST_PROJECTION = { outbox: 0, timeline: 0, deliveries: 0, deliveryLog: 0, emailMessageIds: 0 };

@Injectable()
export class CaseRepository extends AccountScopedRepository<Case> {
  constructor(
    @InjectModel(Case.name) model: Model<Case>,
    @InjectModel(Counter.name) private readonly counters: Model<Counter>,
  ) {
    super(model);
  }

  get caseModel(): Model<Case> {
    return this.model;
  }

  /** Reserves the next `count` readable case numbers; returns the last one. */
  async reserveNumbers(count: number): Promise<number> {
    const c = await this.counters.findOneAndUpdate(
      { _id: 'case-number' },
      { $inc: { value: count } },
      { upsert: true, new: true },
    );
    return c.value;
  }

  async insert(doc: Omit<Case, 'createdAt' | 'updatedAt'>): Promise<Case> {
    const created = await this.model.create(doc);
    return created.toObject();
  }

  findById(scope: Scope, id: string): Promise<Case | null> {
    return this.model.findOne(this.scoped(scope, { _id: id }), { outbox: 0 }).lean<Case>();
  }

  findByNumber(scope: Scope, number: number): Promise<Case | null> {
    return this.model.findOne(this.scoped(scope, { number }), { outbox: 0 }).lean<Case>();
  }

  findByIdempotencyScope(scope: Scope, idempotencyScope: string): Promise<Case | null> {
    return this.model.findOne(this.scoped(scope, { idempotencyScope }), { outbox: 0 }).lean<Case>();
  }

  findByIntercomConversation(scope: Scope, conversationId: string): Promise<Case | null> {
    return this.model
      .findOne(this.scoped(scope, { intercomConversationId: conversationId }), { outbox: 0 })
      .sort({ _id: -1 })
      .lean<Case>();
  }

  /** The case whose thread holds one of these Message-IDs (a reply's In-Reply-To and References). */
  findByEmailMessageIds(scope: Scope, messageIds: string[]): Promise<Case | null> {
    if (messageIds.length === 0) return Promise.resolve(null);
    return this.model
      .findOne(this.scoped(scope, { emailMessageIds: this.trusted({ $in: messageIds }) }), { outbox: 0 })
      .sort({ _id: -1 })
      .lean<Case>();
  }

  list(scope: Scope, filter: CaseListFilter, limit: number): Promise<Case[]> {
    const q: FilterQuery<Case> = {};
    if (filter.status) q.status = filter.status;
    if (filter.severity) q.severity = filter.severity;
    if (filter.breached !== undefined) q.slaBreached = filter.breached;
    if (filter.receivedFrom || filter.receivedBefore) {
      q.receivedAt = this.trusted({
        ...(filter.receivedFrom ? { $gte: filter.receivedFrom } : {}),
        ...(filter.receivedBefore ? { $lt: filter.receivedBefore } : {}),
      });
    }
    if (filter.beforeId) q._id = this.trusted({ $lt: filter.beforeId });
    return this.model
      .find(this.scoped(scope, q), LIST_PROJECTION)
      .sort({ _id: -1 })
      .limit(limit)
      .lean<Case[]>();
  }

  /**
   * Appends entries to the timeline with the state change, events and messages they cause, in one
   * update that succeeds only if nobody appended since `expectedSeq` was read. Returns the case after
   * the change, or null when another writer came first (read again and retry).
   */
  async append(caseId: string, expectedSeq: number, write: CaseWrite): Promise<Case | null> {
    const last = write.entries[write.entries.length - 1];
    const push: Record<string, unknown> = { timeline: { $each: write.entries } };
    if (write.events.length) push.outbox = { $each: write.events };
    if (write.deliveries?.length) push.deliveries = { $each: write.deliveries };
    if (write.emailMessageIds?.length) push.emailMessageIds = { $each: write.emailMessageIds };
    const update: UpdateQuery<Case> = {
      $set: { ...write.set, seq: last.seq, headHash: last.hash },
      $push: push,
    };
    if (write.unset?.length) update.$unset = Object.fromEntries(write.unset.map((f) => [f, '']));
    // No projection: FerretDB does not implement one on findAndModify.
    return this.model.findOneAndUpdate({ _id: caseId, seq: expectedSeq }, update, { new: true }).lean<Case>();
  }
}

export const notFound = (id: string) => new AppError('CASE.NOT_FOUND', `Case ${id} does not exist`);
