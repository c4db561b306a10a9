import { ApiRole, CallerScope } from '@sladesk/contracts';
import type { FastifyRequest } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is calling: an API key or a token subject, with its roles and, for `integration`, its one account. */
export interface Principal {
  /** `key:<key id>` or `oidc:<subject>`: what the audit log and the rate limit know the caller by. */
  id: string;
  kind: 'api-key' | 'oidc';
  roles: ApiRole[];
  /** Set for account-scoped callers only. */
  accountId?: string;
}

/** What authentication concluded about a request; the authorization guard decides what it means. */
export type Authentication =
  | { outcome: 'none' }
  | { outcome: 'ok'; principal: Principal }
  | { outcome: 'refused'; code: 'AUTH.INVALID_KEY' | 'AUTH.KEY_REVOKED' | 'AUTH.KEY_EXPIRED' | 'AUTH.INVALID_TOKEN'; message: string };

export type AuthenticatedRequest = FastifyRequest & { authentication?: Authentication };

export const principalOf = (req: FastifyRequest): Principal | undefined => {
  const a = (req as AuthenticatedRequest).authentication;
  return a?.outcome === 'ok' ? a.principal : undefined;
};

/** The account scope of a caller confined to one account; undefined for staff. */
export const scopeOf = (p: Principal | undefined): CallerScope | undefined => (p?.accountId ? { accountId: p.accountId } : undefined);

const storage = new AsyncLocalStorage<Principal | undefined>();

/** Runs the handler with its caller known to everything it calls (the scoped bus reads it). */
export const runAs = <T>(principal: Principal | undefined, fn: () => T): T => storage.run(principal, fn);
export const currentPrincipal = (): Principal | undefined => storage.getStore();
