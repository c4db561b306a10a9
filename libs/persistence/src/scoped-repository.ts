import mongoose, { FilterQuery, Model } from 'mongoose';

/** Marks a query that deliberately spans accounts (reports, admin lists). */
export const CROSS_ACCOUNT = Symbol('cross-account');
export type Scope = { accountId: string } | typeof CROSS_ACCOUNT;

/**
 * Base for repositories of account-owned documents. Every read names an account or says
 * `CROSS_ACCOUNT` explicitly, so forgetting the tenant filter does not compile.
 */
export abstract class AccountScopedRepository<T extends { accountId: string }> {
  protected constructor(protected readonly model: Model<T>) {}

  protected scoped(scope: Scope, filter: FilterQuery<T> = {}): FilterQuery<T> {
    return scope === CROSS_ACCOUNT ? filter : ({ ...filter, accountId: scope.accountId } as FilterQuery<T>);
  }

  /** Our own operators (`$gt`, `$in` …) pass sanitizeFilter; user values must already be validated. */
  protected trusted<Q>(q: Q): Q {
    return mongoose.trusted(q);
  }
}
