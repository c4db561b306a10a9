import { AppError, ID_PATTERN, Rpc } from '@sladesk/contracts';
import { NatsBus } from '@sladesk/messaging';
import { CanActivate, ExecutionContext, Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GatewayEnv } from '../config';
import { ApiKeys } from './api-keys.service';
import { assertNoOperators } from './input';
import { looksLikeJwt, OidcVerifier } from './oidc';
import { Authentication, AuthenticatedRequest, Principal } from './principal';
import { AccountScoping, routeKey, RouteRule, ruleFor, UNRULED } from './route-rules';

const BEARER = /^Bearer\s+(\S{1,4096})$/i;

/**
 * First of the three guards: finds out who is calling (an API key, or a JWT when OIDC is
 * configured) and notes it on the request. It refuses nothing itself: the rate limit comes next,
 * so guessing keys is limited per address, then AuthorizeGuard decides.
 */
@Injectable()
export class AuthenticateGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeys,
    @Optional() private readonly oidc?: OidcVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    req.authentication = await this.authenticate(req.headers.authorization);
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Authentication> {
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) return { outcome: 'none' };
    try {
      if (this.oidc && looksLikeJwt(token)) return await this.oidc.verify(token);
      return await this.keys.authenticate(token);
    } catch (e) {
      throw new AppError('SERVICE.UNAVAILABLE', `Credentials cannot be checked now: ${(e as Error).message}`);
    }
  }
}

/**
 * The one place that decides whether a request may proceed: the route's rule from ROUTE_RULES (a
 * route without one is for admins only), the caller's roles, field names that are operators, and,
 * for a caller confined to one account, that account forced into filters and bodies and checked on
 * the object a path names.
 */
@Injectable()
export class AuthorizeGuard implements CanActivate {
  private readonly logger = new Logger('Authorize');
  private readonly warned = new Set<string>();

  constructor(
    private readonly bus: NatsBus,
    private readonly config: GatewayEnv,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const rule = this.ruleOf(req);
    if (!rule.rawBody) assertNoOperators(req.body, 'body');
    assertNoOperators(req.query, 'query');
    if (rule.roles === 'public') return true;

    const a = req.authentication ?? { outcome: 'none' };
    if (a.outcome === 'none') throw new AppError('AUTH.MISSING_KEY', 'Send Authorization: Bearer <api key>');
    if (a.outcome === 'refused') throw new AppError(a.code, a.message);
    const { principal } = a;
    const allowed = rule.roles;
    if (!principal.roles.some((r) => allowed.includes(r))) {
      throw new AppError('AUTH.FORBIDDEN', `${req.method} ${req.routeOptions.url} is for ${allowed.join(', ')}`, { route: routeKey(req.method, req.routeOptions.url ?? ''), roles: allowed });
    }
    assertIds(req.params);
    if (principal.accountId) await this.confine(req, principal as Principal & { accountId: string }, rule.scoping);
    return true;
  }

  private ruleOf(req: FastifyRequest): RouteRule {
    const rule = ruleFor(req.method, req.routeOptions.url);
    if (rule) return rule;
    const key = routeKey(req.method, req.routeOptions.url ?? req.url);
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.logger.error(`${key} has no rule in ROUTE_RULES: admin keys only until it gets one`);
    }
    return UNRULED;
  }

  private async confine(req: FastifyRequest, p: Principal & { accountId: string }, scoping: AccountScoping | undefined): Promise<void> {
    const own = p.accountId;
    const id = (req.params as Record<string, string> | undefined)?.id;
    switch (scoping?.by) {
      case 'query':
        this.force(req.query, own, 'query');
        return this.ownCase(req.query, own);
      case 'body':
        this.force(req.body, own, 'body');
        return this.ownCase(req.body, own);
      case 'path-account':
        if (id !== own) throw new AppError('ACCOUNT.NOT_FOUND', `Account ${id} does not exist`);
        return;
      case 'case':
      case 'service':
        return; // the service gets the caller's scope with the request (see scoped-bus.ts) and answers 404
      case 'global':
        return;
      default:
        // A rule that lets integration keys in names how they are confined; the matrix test checks it.
        throw new AppError('AUTH.FORBIDDEN', 'This route is not open to account-scoped callers');
    }
  }

  /** A `caseId` filter or field names one of the caller's cases, or the answer is 404 CASE.NOT_FOUND. */
  private async ownCase(target: unknown, own: string): Promise<void> {
    const caseId = (target as Record<string, unknown> | undefined)?.caseId;
    if (typeof caseId === 'string') await this.caseOf(caseId, own);
  }

  private async caseOf(id: string, own: string): Promise<void> {
    await this.bus.request(Rpc.CaseTimeline, { id, limit: 1, scope: { accountId: own } }, { timeoutMs: this.config.SLADESK_RPC_TIMEOUT_MS });
  }

  /** The caller's account, whatever the request said; naming another one is refused. */
  private force(target: unknown, own: string, where: 'query' | 'body'): void {
    if (target === undefined || target === null) {
      if (where === 'body') throw new AppError('VALIDATION.FAILED', 'invalid body', [{ path: '', problems: ['body must be a JSON object'] }]);
      return;
    }
    if (typeof target !== 'object' || Array.isArray(target)) return; // the contract validation refuses it
    const t = target as Record<string, unknown>;
    if (t.accountId !== undefined && t.accountId !== own) {
      throw new AppError('AUTH.ACCOUNT_FORBIDDEN', `This key is confined to account ${own}`, { accountId: own });
    }
    t.accountId = own;
  }
}

/** Every path parameter is an id (letters, digits, `_ - . :`): anything else is refused before it is forwarded. */
function assertIds(params: unknown): void {
  for (const [name, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
      throw new AppError('VALIDATION.FAILED', 'invalid path', [{ path: name, problems: [`${name} must be an id (letters, digits, _ - . :, at most 64 characters)`] }]);
    }
  }
}
