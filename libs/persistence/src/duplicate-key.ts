/** A write refused by a unique index (MongoDB error 11000; FerretDB answers the same code). */
export const isDuplicateKey = (e: unknown): boolean => (e as { code?: number } | null)?.code === 11000;
