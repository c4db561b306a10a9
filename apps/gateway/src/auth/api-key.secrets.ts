import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An API key is `sld_<key id>_<secret>`: a 16-character id anyone may see (it names the key in lists,
 * logs and the audit) and 32 random bytes, base64url. Only HMAC-SHA256(pepper, id:secret) is stored,
 * so neither a copy of the database nor a log line yields a usable key.
 */
const FORMAT = /^sld_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export interface KeyParts {
  id: string;
  secret: string;
}

function base32(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += BASE32[b & 31];
  return out;
}

export function newKey(): { id: string; key: string; secret: string } {
  const id = base32(randomBytes(16));
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `sld_${id}_${secret}` };
}

export const parseKey = (token: string): KeyParts | undefined => {
  const m = FORMAT.exec(token);
  return m ? { id: m[1], secret: m[2] } : undefined;
};

export class KeyHasher {
  constructor(private readonly pepper: string) {}

  /** The stored form of a key's secret, bound to its id. */
  hash(id: string, secret: string): string {
    return createHmac('sha256', this.pepper).update(`${id}:${secret}`).digest('hex');
  }

  /** Constant-time comparison: how long it takes says nothing about how close a guess was. */
  matches(id: string, secret: string, stored: string): boolean {
    const given = Buffer.from(this.hash(id, secret), 'hex');
    const known = Buffer.from(stored, 'hex');
    return given.length === known.length && timingSafeEqual(given, known);
  }

  /**
   * The id of a key seeded from the environment (SLADESK_ADMIN_API_KEY, any string of 16+ characters):
   * derived from the key itself, so looking it up is one `_id` read like any other key.
   */
  environmentKeyId(token: string): string {
    return `env-${createHmac('sha256', this.pepper).update(`environment-key:${token}`).digest('hex').slice(0, 16)}`;
  }

  /** A token that is not in our format is looked up as an environment key: id and secret from the token. */
  partsOf(token: string): KeyParts {
    return parseKey(token) ?? { id: this.environmentKeyId(token), secret: token };
  }
}
