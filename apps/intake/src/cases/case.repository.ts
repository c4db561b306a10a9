import { AppError, CaseStatus, Severity } from '@sladesk/contracts';
import { AccountScopedRepository, Scope } from '@sladesk/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model } from 'mongoose';
import { Case, Counter } from './case.schema';

export interface CaseListFilter {
  status?: CaseStatus;
  severity?: Severity;
  /** Exclusive: only cases older than this id. */
  beforeId?: string;
}

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

  /** Next readable case number (1, 2, 3 …); a number may be skipped, never reused. */
  async nextNumber(): Promise<number> {
    const c = await this.counters.findOneAndUpdate(
      { _id: 'case-number' },
      { $inc: { value: 1 } },
      { upsert: true, new: true },
    );
    return c.value;
  }

  async insert(doc: Omit<Case, 'createdAt' | 'updatedAt'>): Promise<Case> {
    const created = await this.model.create(doc);
    return created.toObject();
  }

  findById(scope: Scope, id: string): Promise<Case | null> {
    return this.model.findOne(this.scoped(scope, { _id: id })).lean<Case>();
  }

  findByIdempotencyScope(scope: Scope, idempotencyScope: string): Promise<Case | null> {
    return this.model.findOne(this.scoped(scope, { idempotencyScope })).lean<Case>();
  }

  list(scope: Scope, filter: CaseListFilter, limit: number): Promise<Case[]> {
    const q: FilterQuery<Case> = {};
    if (filter.status) q.status = filter.status;
    if (filter.severity) q.severity = filter.severity;
    if (filter.beforeId) q._id = this.trusted({ $lt: filter.beforeId });
    return this.model
      .find(this.scoped(scope, q), { outbox: 0 })
      .sort({ _id: -1 })
      .limit(limit)
      .lean<Case[]>();
  }
}

export const notFound = (id: string) => new AppError('CASE.NOT_FOUND', `Case ${id} does not exist`);
