import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'sladesk:public';
/**
 * Marks a route that needs no credentials (health, metrics, signed webhooks and links). The route
 * table (auth/route-rules.ts) says the same with `roles: 'public'`, which is what the guard enforces;
 * the route matrix test checks that both agree.
 */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** API keys (created through /v1/api-keys, seeded from SLADESK_ADMIN_API_KEY): see auth/api-keys.service.ts. */
export { ApiKeys } from '../auth/api-keys.service';
