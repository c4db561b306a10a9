import { AppError } from '@sladesk/contracts';
import { decodeCursor, decodeCursorParts, decodeSeqCursor, encodeCursor, encodeSeqCursor, ISO_INSTANT_PATTERN, pageOf } from './cursor';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const refused = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
  }
  return 'accepted';
};

describe('the cursor codec every list uses', () => {
  it('gives back the id a cursor was made from', () => {
    expect(decodeCursor(encodeCursor('acme'))).toBe('acme');
    expect(decodeCursor(encodeCursor('0198a1b2-0000-7000-8000-000000000001'), UUID)).toBe('0198a1b2-0000-7000-8000-000000000001');
  });

  it('keeps the cursors handed out before it existed: base64url of the bare id', () => {
    expect(encodeCursor('case-42')).toBe(Buffer.from('case-42').toString('base64url'));
    // escalation's createdAt|id cursors are its two-part form
    const old = Buffer.from('2026-03-02T13:00:00.000Z|esc-1').toString('base64url');
    expect(decodeCursorParts(old, [ISO_INSTANT_PATTERN, /^[a-z0-9-]+$/])).toEqual(['2026-03-02T13:00:00.000Z', 'esc-1']);
    expect(encodeCursor('2026-03-02T13:00:00.000Z', 'esc-1')).toBe(old);
  });

  it('carries a sequence number for timelines', () => {
    expect(decodeSeqCursor(encodeSeqCursor(101))).toBe(101);
    expect(refused(() => decodeSeqCursor(encodeCursor('acme')))).toBe('PAGINATION.BAD_CURSOR');
    expect(refused(() => decodeSeqCursor(encodeSeqCursor(0)))).toBe('PAGINATION.BAD_CURSOR');
  });

  it.each([
    ['not a cursor at all', 'garbage'],
    ['empty', ''],
    ['padded base64 (not the canonical base64url form)', 'YWNtZQ=='],
    ['a stray character base64url would skip', 'YW*NtZQ'],
    ['two parts where one is expected', Buffer.from('acme|extra').toString('base64url')],
    ['a value outside the id pattern', Buffer.from('a b').toString('base64url')],
    ['binary', Buffer.from('\u0000\u00ff').toString('base64url')],
    ['too long', 'a'.repeat(600)],
  ])('refuses %s with PAGINATION.BAD_CURSOR', (_what, cursor) => {
    expect(refused(() => decodeCursor(cursor))).toBe('PAGINATION.BAD_CURSOR');
  });

  it('refuses what is not a string (a repeated query parameter arrives as an array)', () => {
    expect(refused(() => decodeCursor(['a', 'b']))).toBe('PAGINATION.BAD_CURSOR');
    expect(refused(() => decodeCursor(undefined))).toBe('PAGINATION.BAD_CURSOR');
  });

  it('refuses a compound cursor whose parts do not match, in number or in form', () => {
    const patterns = [ISO_INSTANT_PATTERN, /^[a-z0-9-]+$/];
    expect(refused(() => decodeCursorParts(encodeCursor('esc-1'), patterns))).toBe('PAGINATION.BAD_CURSOR');
    expect(refused(() => decodeCursorParts(encodeCursor('yesterday', 'esc-1'), patterns))).toBe('PAGINATION.BAD_CURSOR');
  });

  it('pages rows read with limit + 1: a next cursor only when there is more', () => {
    const rows = [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }];
    const view = (r: { _id: string }) => ({ id: r._id });
    expect(pageOf(rows, 2, view)).toEqual({ items: [{ id: 'a' }, { id: 'b' }], nextCursor: encodeCursor('b') });
    expect(pageOf(rows, 3, view)).toEqual({ items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
    const at = '2026-03-02T13:00:00.000Z';
    expect(pageOf(rows, 1, (r) => ({ id: r._id, at }), (last) => encodeCursor(last.at, last.id)).nextCursor).toBe(encodeCursor(at, 'a'));
  });
});
