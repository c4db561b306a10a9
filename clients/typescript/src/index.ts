import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };
/** The request and response schemas of the API, e.g. `Schemas['CreateCaseRequest']`. */
export type Schemas = components['schemas'];
export type SladeskClient = Client<paths>;

export interface SladeskClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The gateway, e.g. `http://127.0.0.1:3000` (what `npm start` prints). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` on every request. */
  apiKey: string;
}

/**
 * A typed client of the SLA Desk REST API (openapi-fetch over the generated `paths`): paths, path and
 * query parameters, bodies and answers are checked by the compiler. Every call resolves with
 * `{ data }` on success or `{ error }` (the API's `{ code, message, details }`) otherwise, and
 * `response` for status and headers.
 *
 * ```ts
 * const api = createSladeskClient({ baseUrl: 'http://127.0.0.1:3000', apiKey });
 * const { data, error } = await api.POST('/v1/cases', { body: { accountId: 'acme', … }, params: { header: { 'Idempotency-Key': 'k1' } } });
 * ```
 */
export function createSladeskClient({ apiKey, headers, ...options }: SladeskClientOptions): SladeskClient {
  return createClient<paths>({
    ...options,
    headers: { ...(headers as Record<string, string> | undefined), Authorization: `Bearer ${apiKey}` },
  });
}
