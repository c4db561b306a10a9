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

/**
 * The repository scope of a request to a service: the caller's account when the gateway sent one
 * (an account-scoped key or token), else CROSS_ACCOUNT — the reviewed path for staff, whose roles let
 * them act on every account.
 */
export const scopeOfCaller = (caller: { accountId: string } | undefined): Scope => (caller ? { accountId: caller.accountId } : CROSS_ACCOUNT);

/**
 * A document read by `_id`, kept only when the scope may see it: `null` for another account's (or an
 * account-less, cross-account) document, so the caller answers 404 exactly as for a missing one.
 * Checking the fetched document, rather than adding `accountId` to the filter, keeps the read an
 * `_id` lookup (FerretDB 1.24 on SQLite scans the collection for any other filter).
 */
export function visibleTo<T extends { accountId?: string | null }>(scope: Scope, doc: T | null | undefined): T | null {
  if (!doc) return null;
  return scope === CROSS_ACCOUNT || doc.accountId === scope.accountId ? doc : null;
}
