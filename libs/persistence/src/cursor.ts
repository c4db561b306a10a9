import { AppError, ID_PATTERN, Page } from '@sladesk/contracts';

/**
 * The one cursor codec of every list: a cursor is the base64url of the key a page continues after
 * (one value, or several joined by `|` for a compound sort key such as `createdAt|id`). Decoding
 * refuses anything this API could not have handed out — not base64url in its canonical form, the
 * wrong number of parts, a part that does not match its pattern — with 400 `PAGINATION.BAD_CURSOR`,
 * so a mangled cursor never reads as "no more items".
 */

const SEPARATOR = '|';

/** Every list's cursor: `encodeCursor(id)`, or `encodeCursor(createdAt, id)` for a compound key. */
export function encodeCursor(...parts: readonly [string | number, ...(string | number)[]]): string {
  const text = parts.map(String);
  if (text.some((p) => p.includes(SEPARATOR) || p === '')) throw new Error(`a cursor part cannot be empty or contain "${SEPARATOR}"`);
  return Buffer.from(text.join(SEPARATOR)).toString('base64url');
}

/** The parts of a cursor, one per pattern, each matching its pattern; anything else is refused. */
export function decodeCursorParts(cursor: unknown, patterns: readonly RegExp[]): string[] {
  if (typeof cursor !== 'string' || cursor === '' || cursor.length > 512) throw badCursor();
  const text = Buffer.from(cursor, 'base64url').toString();
  // Canonical form only: base64url decoding skips stray characters, so re-encoding must give the input back.
  if (Buffer.from(text).toString('base64url') !== cursor) throw badCursor();
  const parts = text.split(SEPARATOR);
  if (parts.length !== patterns.length || parts.some((p, i) => !patterns[i].test(p))) throw badCursor();
  return parts;
}

/** The id (or other single value matching `pattern`) a cursor continues after. */
export const decodeCursor = (cursor: unknown, pattern: RegExp = ID_PATTERN): string => decodeCursorParts(cursor, [pattern])[0];

const SEQ = /^seq:[1-9][0-9]{0,8}$/;

/** Cursors of ordered logs (a timeline) carry the sequence number to read from. */
export const encodeSeqCursor = (seq: number): string => encodeCursor(`seq:${seq}`);
export const decodeSeqCursor = (cursor: unknown): number => Number(decodeCursor(cursor, SEQ).slice(4));

/** An instant as `Date#toISOString()` writes it, for cursors over a time-ordered list. */
export const ISO_INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A page from `rows` read with `limit + 1`: the extra row only says there is a next page, whose
 * cursor is the last item's id (or what `cursorOf` makes of the last item, for a compound key).
 */
export function pageOf<R, V extends { id: string }>(
  rows: readonly R[],
  limit: number,
  view: (r: R) => V,
  cursorOf: (last: V) => string = (last) => encodeCursor(last.id),
): Page<V> {
  const items = rows.slice(0, limit).map(view);
  return rows.length > limit ? { items, nextCursor: cursorOf(items[items.length - 1]) } : { items };
}

const badCursor = () => new AppError('PAGINATION.BAD_CURSOR', 'cursor is not one this API returned');
