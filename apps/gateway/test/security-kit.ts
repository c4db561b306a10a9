import { ApiRole } from '@sladesk/contracts';
import { loadConfig } from '@sladesk/messaging';
import { GatewayEnv } from '../src/config';
import { Gateway, startGateway } from '../src/gateway';

/** What the security tests share: keys of every role, a second gateway, plain HTTP calls. */

export const ADMIN_KEY = 'test-admin-key-0123456789';

export type Call = (path: string, init?: RequestInit & { key?: string | null; json?: unknown }) => Promise<Response>;

export function caller(url: string, defaultKey: string = ADMIN_KEY): Call {
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? defaultKey}`);
    const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
    if (body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(`${url}${path}`, { ...init, method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
  };
}

/** The NATS and database a running gateway uses (to start another one beside it). */
export function envOf(gateway: Gateway): { NATS_URL: string; MONGO_URL: string } {
  const config = gateway.app.get(GatewayEnv);
  return { NATS_URL: config.NATS_URL, MONGO_URL: config.MONGO_URL };
}

/** A gateway of our own over the given NATS and database (a second instance, or one with other settings). */
export function gatewayOn(env: { NATS_URL: string; MONGO_URL: string }, settings: Record<string, string> = {}): Promise<Gateway> {
  return startGateway(
    loadConfig(GatewayEnv, { ...env, PORT: '0', LOG_LEVEL: 'silent', SLADESK_ADMIN_API_KEY: ADMIN_KEY, SLADESK_BODY_LIMIT: '65536', ...settings }, { exitOnError: false }),
  );
}

/** Creates a key through the API; answers the secret. */
export async function createKey(call: Call, roles: ApiRole[], over: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const res = await call('/v1/api-keys', { json: { name: `${roles.join('+')} key`, roles, ...over } });
  const body = (await res.json()) as { id: string; key: string };
  if (res.status !== 201) throw new Error(`creating a ${roles.join('+')} key: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export const json = (res: Response): Promise<any> => res.json();
