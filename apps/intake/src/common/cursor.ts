import { AppError, ID_PATTERN, Page } from '@sladesk/contracts';

export const encodeCursor = (id: string): string => Buffer.from(id).toString('base64url');

/** The id (or other value of `pattern`) a cursor continues after; a cursor this API did not hand out is refused. */
export function decodeCursor(cursor: string, pattern: RegExp = ID_PATTERN): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!pattern.test(id) || encodeCursor(id) !== cursor)
    throw new AppError('PAGINATION.BAD_CURSOR', 'cursor is not one this API returned');
  return id;
}

/** Timeline cursors carry the sequence number to read from. */
export const encodeSeqCursor = (seq: number): string => encodeCursor(`seq:${seq}`);
export const decodeSeqCursor = (cursor: string): number => Number(decodeCursor(cursor, /^seq:[1-9][0-9]{0,8}$/).slice(4));

/** `rows` was read with `limit + 1`: the extra row only says that there is a next page. */
export function pageOf<R, V extends { id: string }>(rows: R[], limit: number, view: (r: R) => V): Page<V> {
  const items = rows.slice(0, limit).map(view);
  return rows.length > limit ? { items, nextCursor: encodeCursor(items[items.length - 1].id) } : { items };
}
