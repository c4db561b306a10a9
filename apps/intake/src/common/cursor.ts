import { AppError, ID_PATTERN, Page } from '@sladesk/contracts';

export const encodeCursor = (id: string): string => Buffer.from(id).toString('base64url');

/** The id a cursor continues after; a cursor this API did not hand out is refused. */
export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!ID_PATTERN.test(id) || encodeCursor(id) !== cursor)
    throw new AppError('PAGINATION.BAD_CURSOR', 'cursor is not one this API returned');
  return id;
}

/** `rows` was read with `limit + 1`: the extra row only says that there is a next page. */
export function pageOf<R, V extends { id: string }>(rows: R[], limit: number, view: (r: R) => V): Page<V> {
  const items = rows.slice(0, limit).map(view);
  return rows.length > limit ? { items, nextCursor: encodeCursor(items[items.length - 1].id) } : { items };
}
