import { ApiRole } from '@sladesk/contracts';

/**
 * How an account-scoped (`integration`) caller is confined on a route it may use:
 * - `query` / `body`: its `accountId` filter or field is forced to its account (another one: 403), and
 *   a `caseId` filter must name one of its cases (else 404 CASE.NOT_FOUND);
 * - `path-account`: the path's `:id` is an account id and must be its own (else 404 ACCOUNT.NOT_FOUND);
 * - `case`: the path's `:id` is a case; the service (intake, sla) gets the caller's scope and answers 404
 *   for another account's;
 * - `service`: the path's `:id` is an object of a service that gets the caller's scope (see
 *   scoped-bus.ts) and answers 404 for another account's object, or lists only the caller's own;
 * - `global`: not account data (maintenance windows are announced to every customer).
 */
export type AccountScoping =
  | { by: 'query' }
  | { by: 'body' }
  | { by: 'path-account' }
  | { by: 'case' }
  | { by: 'service' }
  | { by: 'global' };

export interface RouteRule {
  /** Who may call it; `public` needs no credentials (health, docs, signed webhooks and links). */
  roles: readonly ApiRole[] | 'public';
  /** Required when `roles` includes `integration`. */
  scoping?: AccountScoping;
  /** Not rate-limited (monitoring probes). */
  unlimited?: boolean;
  /** Field names starting with `$` are allowed in the body (a signed webhook, stored as received). */
  rawBody?: boolean;
  /** A rule for a route announced in PRODUCT.md that no controller registers yet: the matrix tolerates its absence. */
  planned?: boolean;
}

// ---- who -------------------------------------------------------------------------------------

/** Every staff role: reads of the record and of configuration. */
export const STAFF: readonly ApiRole[] = ['admin', 'manager', 'csm', 'tier2', 'executive', 'agent'];
/** Those who work cases (executives read and acknowledge, they do not answer customers). */
export const CASE_WORKERS: readonly ApiRole[] = ['admin', 'manager', 'csm', 'tier2', 'agent'];
/** Configuration: accounts, staff, calendars, policies, keys. */
export const CONFIG: readonly ApiRole[] = ['admin'];
/** Reports and exports. */
export const REPORTERS: readonly ApiRole[] = ['admin', 'manager', 'executive'];
/** Maintenance windows and advisories are run by operations. */
export const OPERATORS: readonly ApiRole[] = ['admin', 'manager', 'tier2'];

const withIntegration = (roles: readonly ApiRole[], scoping: AccountScoping): RouteRule => ({ roles: [...roles, 'integration'], scoping });
const only = (roles: readonly ApiRole[]): RouteRule => ({ roles });
const PUBLIC: RouteRule = { roles: 'public' };

/**
 * The one table of who may call what: `METHOD /path` with the route's own `:param` pattern (as the
 * router knows it). The guard enforces it, the OpenAPI document shows it (`x-roles`), and
 * `test/security-route-matrix.spec.ts` checks every route Nest registers against it: a route without
 * a rule fails the build (and, should it ever run, answers to admin keys only).
 */
export const ROUTE_RULES: Record<string, RouteRule> = {
  'GET /health': { roles: 'public', unlimited: true },
  'GET /metrics': { roles: 'public', unlimited: true },

  // cases (intake: the caller's scope goes with every request)
  'POST /v1/cases': withIntegration(CASE_WORKERS, { by: 'body' }),
  'GET /v1/cases': withIntegration(STAFF, { by: 'query' }),
  'GET /v1/cases/:id': withIntegration(STAFF, { by: 'case' }),
  'GET /v1/cases/:id/timeline': withIntegration(STAFF, { by: 'case' }),
  'GET /v1/cases/:id/sla': withIntegration(STAFF, { by: 'case' }),
  'POST /v1/cases/:id/customer-replies': withIntegration(CASE_WORKERS, { by: 'case' }),
  'POST /v1/cases/:id/responses': only(CASE_WORKERS),
  'POST /v1/cases/:id/actions': only(CASE_WORKERS),
  'POST /v1/cases/:id/status': only(CASE_WORKERS),
  'POST /v1/cases/:id/resolve': only(CASE_WORKERS),
  'POST /v1/cases/:id/reopen': only(CASE_WORKERS),
  'POST /v1/cases/:id/reclassify': only(CASE_WORKERS),
  'POST /v1/cases/:id/assign': only(CASE_WORKERS),

  // accounts and staff (configuration)
  'POST /v1/accounts': only(CONFIG),
  'GET /v1/accounts': only(STAFF),
  'GET /v1/accounts/:id': withIntegration(STAFF, { by: 'path-account' }),
  'PATCH /v1/accounts/:id': only(CONFIG),
  'POST /v1/staff': only(CONFIG),
  'GET /v1/staff': only(STAFF),
  'GET /v1/staff/:id': only(STAFF),
  'PATCH /v1/staff/:id': only(CONFIG),

  // channels
  'POST /v1/channels/intercom/webhook': { roles: 'public', rawBody: true },
  'GET /v1/channels/review-queue': only(CASE_WORKERS),
  'POST /v1/channels/review-queue/:id/accept': only(CASE_WORKERS),
  'POST /v1/channels/review-queue/:id/dismiss': only(CASE_WORKERS),

  // escalation
  'POST /v1/escalation-policies': only(CONFIG),
  'GET /v1/escalation-policies': only(STAFF),
  'GET /v1/escalations': withIntegration(STAFF, { by: 'query' }),
  'POST /v1/escalations': only(CASE_WORKERS),
  'GET /v1/escalations/:id': withIntegration(STAFF, { by: 'service' }),
  'POST /v1/escalations/:id/ack': only(STAFF),
  'POST /v1/incidents': only(OPERATORS),
  'GET /v1/incidents': only(STAFF),
  'GET /v1/incidents/:id': only(STAFF),
  'POST /v1/incidents/:id/cases': only(OPERATORS),
  'POST /v1/incidents/:id/restore': only(OPERATORS),
  'PATCH /v1/incidents/:id': only(OPERATORS),
  'GET /v1/notifications': only(STAFF),

  // sla (configuration, and a case's clocks above)
  'POST /v1/calendars': only(CONFIG),
  'GET /v1/calendars': only(STAFF),
  'GET /v1/calendars/:id': only(STAFF),
  'PUT /v1/calendars/:id': only(CONFIG),
  'POST /v1/sla-policies': only(CONFIG),
  'GET /v1/sla-policies': only(STAFF),
  'GET /v1/sla-policies/:id': only(STAFF),
  'PUT /v1/sla-policies/:id': only(CONFIG),

  // maintenance
  'POST /v1/maintenance-windows': only(OPERATORS),
  'GET /v1/maintenance-windows': withIntegration(STAFF, { by: 'global' }),
  'GET /v1/maintenance-windows.ics': PUBLIC,
  'GET /v1/maintenance-windows/:id': withIntegration(STAFF, { by: 'global' }),
  'POST /v1/maintenance-windows/:id/start': only(OPERATORS),
  'POST /v1/maintenance-windows/:id/complete': only(OPERATORS),
  'POST /v1/maintenance-windows/:id/cancel': only(OPERATORS),
  'POST /v1/maintenance-windows/:id/reschedule': only(OPERATORS),
  'POST /v1/advisories': only(OPERATORS),
  'GET /v1/advisories': only(STAFF),
  'GET /v1/advisories/:id': only(STAFF),
  'POST /v1/advisories/:id/test': only(OPERATORS),
  'POST /v1/advisories/:id/validate': only(OPERATORS),
  'POST /v1/advisories/:id/release': only(OPERATORS),
  'POST /v1/advisories/:id/announce': only(OPERATORS),
  'PUT /v1/accounts/:id/notice-preferences': only(['admin', 'manager', 'csm']),
  'GET /v1/accounts/:id/notice-preferences': withIntegration(STAFF, { by: 'path-account' }),
  'GET /v1/notice-opt-out': PUBLIC,
  'POST /v1/notice-opt-out': PUBLIC,
  'GET /v1/notices': only(STAFF),
  'GET /v1/notices/:id': only(STAFF),
  'GET /v1/notices/:id/deliveries': withIntegration(STAFF, { by: 'service' }),

  // availability (sla): objectives are configuration; exclusions are operations' record, like incidents
  'POST /v1/components': only(CONFIG),
  'GET /v1/components': only(STAFF),
  'GET /v1/components/:id': only(STAFF),
  'PUT /v1/components/:id': only(CONFIG),
  'GET /v1/components/:id/probe-results': only(STAFF),
  'POST /v1/exclusions': only(OPERATORS),
  'GET /v1/exclusions/:id': only(STAFF),
  'GET /v1/availability': withIntegration(STAFF, { by: 'query' }),

  // reports and exports
  'GET /v1/reports/support-record': withIntegration(REPORTERS, { by: 'query' }),
  'GET /v1/reports/sla-compliance': withIntegration(REPORTERS, { by: 'query' }),
  'GET /v1/reports/escalations': withIntegration(REPORTERS, { by: 'query' }),
  'GET /v1/reports/availability': withIntegration(REPORTERS, { by: 'query' }),
  'GET /v1/reports/notices': withIntegration(REPORTERS, { by: 'query' }),
  'GET /v1/reports/digests': only(REPORTERS),
  'POST /v1/exports': withIntegration(REPORTERS, { by: 'body' }),
  'GET /v1/exports/:id': withIntegration(REPORTERS, { by: 'service' }),
  'GET /v1/exports/:id/download': withIntegration(REPORTERS, { by: 'service' }),

  // security
  'POST /v1/api-keys': only(CONFIG),
  'GET /v1/api-keys': only(CONFIG),
  'GET /v1/api-keys/:id': only(CONFIG),
  'DELETE /v1/api-keys/:id': only(CONFIG),
  'GET /v1/audit': only(['admin', 'executive']),
  'GET /v1/audit/verify': only(['admin', 'executive', 'manager']),
  'POST /v1/contacts/erasures': only(CONFIG),
  'GET /v1/contacts/erasures/:id': only(CONFIG),
};

/** Key of a route in the table: `GET /v1/cases/:id`. */
export const routeKey = (method: string, url: string): string => `${method.toUpperCase()} ${url}`;

/** What applies to a route no rule names: admin keys only (and the matrix test fails). */
export const UNRULED: RouteRule = { roles: ['admin'] };

export function ruleFor(method: string, url: string | undefined): RouteRule | undefined {
  // HEAD is answered by the GET route.
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method;
  return url === undefined ? undefined : ROUTE_RULES[routeKey(m, url)];
}

/** What the HTTP server serves outside Nest's controllers (and so outside the guards): the API documents. */
export const isDocumentRoute = (url: string): boolean => url === '/openapi.json' || url === '/asyncapi.json' || url === '/docs' || url.startsWith('/docs/');

/** Routes Fastify registered that no rule names (HEAD twins, CORS preflight and the documents aside). */
export function unruledRoutes(routes: readonly { method: string; url: string }[]): string[] {
  return routes.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !isDocumentRoute(r.url) && !ROUTE_RULES[routeKey(r.method, r.url)]).map((r) => routeKey(r.method, r.url));
}
