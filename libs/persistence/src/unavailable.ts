/**
 * The database could not be reached (down, restarting, no server selected, the pool cleared after a
 * network error): a refusal the caller may retry, never an internal error. A write that failed this way
 * may or may not have happened, which is why every write path is idempotent (Idempotency-Key, `_id`).
 */
const UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);

export function isDatabaseUnavailable(e: unknown): boolean {
  for (let err = e as { name?: unknown; message?: unknown; cause?: unknown; errorLabels?: unknown } | null, depth = 0; err && depth < 4; depth++) {
    if (typeof err.name === 'string' && UNAVAILABLE_NAMES.has(err.name)) return true;
    // mongoose's buffered operations when the connection is down
    if (typeof err.message === 'string' && /buffering timed out after|Client must be connected|connection .* closed/i.test(err.message)) return true;
    err = err.cause as typeof err;
  }
  return false;
}
