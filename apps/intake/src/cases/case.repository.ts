import { AppError, CaseStatus, EventEnvelope, Severity } from '@sladesk/contracts';
import { AccountScopedRepository, Scope } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, UpdateQuery } from 'mongoose';
import { Delivery } from '../channels/delivery/delivery.schema';
import { Keys } from '../common/keys';
import { BucketRef, Case, Counter, TimelineEntry } from './case.schema';

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
  /** When the tail overflowed: the whole new tail, and the bucket its oldest entries moved to. */
  archived?: { tail: TimelineEntry[]; bucket: BucketRef };
  set?: Record<string, unknown>;
  unset?: string[];
  events: EventEnvelope[];
  deliveries?: Delivery[];
  /** The thread's latest Message-IDs (the whole bounded list). */
  emailMessageIds?: string[];
}

/** Message-IDs kept in the case for the References of the next mail (older ones are in `intake_keys`). */
export const THREAD_IDS_KEPT = 20;

const LIST_PROJECTION = { outbox: 0, timeline: 0, timelineBuckets: 0, deliveries: 0, emailMessageIds: 0, description: 0, analysis: 0 };

@Injectable()
export class CaseRepository extends AccountScopedRepository<Case> {
  constructor(
    @InjectModel(Case.name) model: Model<Case>,
    @InjectModel(Counter.name) private readonly counters: Model<Counter>,
    private readonly keys: Keys,
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

  // Secondary keys are looked up through `intake_keys` (one `_id` read each), then the case itself.

  async findByNumber(scope: Scope, number: number): Promise<Case | null> {
    const key = await this.keys.get('number', String(number));
    return key?.caseId ? this.findById(scope, key.caseId) : null;
  }

  async findByIdempotencyScope(scope: Scope, idempotencyScope: string): Promise<Case | null> {
    const key = await this.keys.get('scope', idempotencyScope);
    return key?.caseId ? this.findById(scope, key.caseId) : null;
  }

  /** The latest case opened for a conversation (a follow-up after closing is a case of its own). */
  async findByIntercomConversation(scope: Scope, conversationId: string): Promise<Case | null> {
    const key = await this.keys.get('intercom', conversationId);
    for (const id of [...(key?.caseIds ?? [])].reverse()) {
      const found = await this.findById(scope, id);
      if (found) return found; // an id whose case was never written (crash) is skipped
    }
    return null;
  }

  /** The case whose thread holds one of these Message-IDs (a reply's In-Reply-To and References). */
  async findByEmailMessageIds(scope: Scope, messageIds: string[]): Promise<Case | null> {
    const keys = await this.keys.many('msgid', messageIds.slice(-50));
    const ids = [...new Set(keys.map((k) => k.caseId).filter((id): id is string => !!id))].sort().reverse();
    for (const id of ids) {
      const found = await this.findById(scope, id);
      if (found) return found;
    }
    return null;
  }

  /** Makes Message-IDs of a case's thread findable; written before the case change that names them. */
  async indexThread(caseId: string, messageIds: string[]): Promise<void> {
    await Promise.all(messageIds.map((m) => this.keys.put('msgid', m, { caseId })));
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

  /** The ids of the cases whose contact has this address: erasure's reviewed scan (rare, asked for by an admin). */
  async idsByContactEmail(scope: Scope, email: string): Promise<string[]> {
    const rows = await this.model.find(this.scoped(scope, { 'contact.email': email }), { _id: 1 }).lean<{ _id: string }[]>();
    return rows.map((r) => r._id);
  }

  /** Resolved or closed before `cutoff` and not yet erased: the retention sweep's reviewed scan. */
  async idsDueForRetention(cutoff: Date, limit: number): Promise<string[]> {
    const rows = await this.model
      .find({ status: this.trusted({ $in: ['resolved', 'closed'] }), 'resolution.at': this.trusted({ $lt: cutoff }), erasedAt: null }, { _id: 1 })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<{ _id: string }[]>();
    return rows.map((r) => r._id);
  }

  /**
   * Cases in id order after `afterId`, with what chain verification needs (the tail, the bucket
   * references, the recorded head) and none of the long texts. A bulk audit walks every case this way:
   * a whole-collection read by design, paged, asked for by an admin (GET /v1/audit/verify).
   */
  pageForVerification(scope: Scope, afterId: string | undefined, limit: number): Promise<Case[]> {
    const q: FilterQuery<Case> = afterId ? { _id: this.trusted({ $gt: afterId }) } : {};
    return this.model
      .find(this.scoped(scope, q), { outbox: 0, deliveries: 0, emailMessageIds: 0, description: 0, analysis: 0 })
      .sort({ _id: 1 })
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
    const set: Record<string, unknown> = { ...write.set, seq: last.seq, headHash: last.hash };
    const push: Record<string, unknown> = {};
    if (write.archived) {
      set.timeline = write.archived.tail;
      push.timelineBuckets = write.archived.bucket;
    } else {
      push.timeline = { $each: write.entries };
    }
    if (write.events.length) push.outbox = { $each: write.events };
    if (write.deliveries?.length) push.deliveries = { $each: write.deliveries };
    if (write.emailMessageIds) set.emailMessageIds = write.emailMessageIds;
    const update: UpdateQuery<Case> = { $set: set, $push: push };
    if (write.unset?.length) update.$unset = Object.fromEntries(write.unset.map((f) => [f, '']));
    // No projection: FerretDB does not implement one on findAndModify.
    return this.model.findOneAndUpdate({ _id: caseId, seq: expectedSeq }, update, { new: true }).lean<Case>();
  }
}

export const notFound = (id: string) => new AppError('CASE.NOT_FOUND', `Case ${id} does not exist`);
