import { CallerScope } from '@sladesk/contracts';
import { CROSS_ACCOUNT, Scope } from '@sladesk/persistence';

/**
 * The repository scope of a request: the caller's account when the gateway sent one (an
 * account-scoped API key or token), else CROSS_ACCOUNT — the reviewed path for staff, whose roles let
 * them act on every account. Another account's case then reads as absent: 404, never 403, so an id
 * says nothing about what exists elsewhere.
 */
export const scopeOf = (scope: CallerScope | undefined): Scope => (scope ? { accountId: scope.accountId } : CROSS_ACCOUNT);
