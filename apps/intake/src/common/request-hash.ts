import { createHash } from 'node:crypto';

/** Fingerprint of a request body: a retry with the same Idempotency-Key must carry the same one. */
export const requestHash = (body: unknown): string =>
  createHash('sha256').update(JSON.stringify(body)).digest('base64url');

export { isDuplicateKey } from '@sladesk/persistence';
