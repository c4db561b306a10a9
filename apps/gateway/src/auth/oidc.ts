import { API_ROLES, ApiRole, ID_PATTERN } from '@sladesk/contracts';
import { Logger } from '@nestjs/common';
import { createRemoteJWKSet, errors, JWTPayload, jwtVerify } from 'jose';
import { GatewayEnv } from '../config';
import { Authentication } from './principal';

/** Three base64url parts, the first a JSON header (`eyJ` is `{"`): worth trying as a JWT. */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
export const looksLikeJwt = (token: string): boolean => JWT_SHAPE.test(token);

/** A dotted path into the claims: `roles`, `realm_access.roles`; a claim named with a URL is looked up whole first. */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), payload);
}

const ROLE_SET = new Set<string>(API_ROLES);

/**
 * Tokens from the organisation's identity provider: the signature checked against the issuer's JWKS
 * (fetched and cached by jose, refreshed when an unknown `kid` appears), `iss`, `aud`, `exp` and `nbf`
 * checked, and only the configured asymmetric algorithms accepted, so neither `alg: none` nor a token
 * signed with HMAC using the public key as its secret can pass. Roles come from a configurable claim;
 * names that are not ours are ignored.
 */
export class OidcVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: GatewayEnv & { SLADESK_OIDC_ISSUER: string }) {
    const issuer = config.SLADESK_OIDC_ISSUER.replace(/\/$/, '');
    const url = new URL(config.SLADESK_OIDC_JWKS_URL ?? `${issuer}/.well-known/jwks.json`);
    this.jwks = createRemoteJWKSet(url, { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  }

  async verify(token: string): Promise<Authentication> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.config.SLADESK_OIDC_ISSUER,
        audience: this.config.SLADESK_OIDC_AUDIENCE,
        algorithms: this.config.SLADESK_OIDC_ALGORITHMS,
        clockTolerance: this.config.SLADESK_OIDC_CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (e) {
      return { outcome: 'refused', code: 'AUTH.INVALID_TOKEN', message: reasonOf(e) };
    }
    const raw = claimAt(payload, this.config.SLADESK_OIDC_ROLES_CLAIM);
    const names = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/\s+/) : [];
    const roles = [...new Set(names.filter((r): r is ApiRole => typeof r === 'string' && ROLE_SET.has(r)))];
    const account = claimAt(payload, this.config.SLADESK_OIDC_ACCOUNT_CLAIM);
    if (roles.includes('integration')) {
      // An account-scoped subject is that and nothing else.
      if (typeof account !== 'string' || !ID_PATTERN.test(account) || roles.length > 1) {
        return { outcome: 'refused', code: 'AUTH.INVALID_TOKEN', message: `an integration token carries only that role and its account in ${this.config.SLADESK_OIDC_ACCOUNT_CLAIM}` };
      }
    }
    return {
      outcome: 'ok',
      principal: { id: `oidc:${payload.sub}`, kind: 'oidc', roles, ...(roles.includes('integration') ? { accountId: account as string } : {}) },
    };
  }
}

/** Why a token was refused, without echoing the token. */
function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'token expired';
  if (e instanceof errors.JWTClaimValidationFailed) return `token claim ${e.claim} is not acceptable (${e.reason})`;
  if (e instanceof errors.JOSEAlgNotAllowed) return 'token signature algorithm not allowed';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'token signature does not verify';
  if (e instanceof errors.JWKSNoMatchingKey) return 'token signed by a key the issuer does not publish';
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JOSEError) return `token not accepted (${(e as errors.JOSEError).code})`;
  new Logger('Oidc').warn(`token verification failed unexpectedly: ${(e as Error).message}`);
  return 'token not accepted';
}
