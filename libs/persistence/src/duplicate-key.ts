/**
 * A write refused by a unique index (MongoDB error 11000; FerretDB answers the same code). For a bulk
 * write, only when every write error is one (at least one: a dropped connection has none).
 */
export const isDuplicateKey = (e: unknown): boolean => {
  const err = e as { code?: number; writeErrors?: unknown } | null;
  if (err?.writeErrors !== undefined) {
    const list = (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]) as ({ code?: number } | null)[];
    return list.length > 0 && list.every((w) => w?.code === 11000);
  }
  return err?.code === 11000;
};
