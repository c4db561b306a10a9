import { AppError } from '@sladesk/contracts';

export const encodeCursor = (value: string): string => Buffer.from(value).toString('base64url');

/** The value a cursor continues after; a cursor this API did not hand out is refused. */
export function decodeCursor(cursor: string, pattern = /^[A-Za-z0-9][A-Za-z0-9_.:|-]{0,199}$/): string {
  const value = Buffer.from(cursor, 'base64url').toString();
  if (!pattern.test(value) || encodeCursor(value) !== cursor) throw new AppError('PAGINATION.BAD_CURSOR', 'cursor is not one this API returned');
  return value;
}

/** `rows` were read with `limit + 1`: the extra row only says that there is a next page. */
export function pageOf<R, V>(rows: R[], limit: number, view: (r: R) => V, key: (r: R) => string): { items: V[]; nextCursor?: string } {
  const kept = rows.slice(0, limit);
  const items = kept.map(view);
  return rows.length > limit ? { items, nextCursor: encodeCursor(key(kept[kept.length - 1])) } : { items };
}
