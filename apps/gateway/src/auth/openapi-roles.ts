import { OpenAPIObject } from '@nestjs/swagger';
import { ROUTE_RULES, routeKey, RouteRule, UNRULED } from './route-rules';

const SCOPING_TEXT: Record<string, string> = {
  query: 'its `accountId` filter is forced to its account',
  body: 'the body’s `accountId` is forced to its account',
  'path-account': 'only its own account',
  case: 'only its account’s cases (others answer 404)',
  service: 'only its account’s objects (others answer 404; lists hold only its own)',
  global: 'not account data: the same for every caller',
};

export const rolesText = (rule: RouteRule): string => {
  if (rule.roles === 'public') return '**Access:** public (no credentials).';
  const integration = rule.roles.includes('integration') && rule.scoping ? ` An \`integration\` key sees ${SCOPING_TEXT[rule.scoping.by]}.` : '';
  return `**Roles:** ${rule.roles.join(', ')}.${integration}`;
};

/**
 * Shows the route table in the OpenAPI document: `x-roles` on every operation (the roles, or
 * `public`), a line in its description, the 403 and 429 answers every protected route can give, and
 * `4XX`/`5XX`: any other refusal or failure is an error in the one error shape.
 */
export function annotateRoles(doc: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(doc.paths)) {
    const url = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const [method, op] of Object.entries(item) as [string, Record<string, unknown>][]) {
      if (typeof op !== 'object' || !op || !('responses' in op)) continue;
      const rule = ROUTE_RULES[routeKey(method, url)] ?? UNRULED;
      op['x-roles'] = rule.roles === 'public' ? 'public' : [...rule.roles];
      op.description = [op.description, rolesText(rule)].filter(Boolean).join('\n\n');
      const responses = op.responses as Record<string, unknown>;
      const error = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      if (rule.roles !== 'public') responses['403'] ??= { ...error, description: 'AUTH.FORBIDDEN: the caller’s roles do not include this route' };
      if (!rule.unlimited) responses['429'] ??= { ...error, description: 'RATE_LIMIT.EXCEEDED (see Retry-After)' };
      // Whatever other refusal or failure a route may answer (a 413, a 504 …) is one of our errors, in the one error shape.
      responses['4XX'] ??= { ...error, description: 'Any other refusal: an error with a stable `code`' };
      responses['5XX'] ??= { ...error, description: 'A failure: an error with a stable `code` (500: with an errorId)' };
    }
  }
  return doc;
}
