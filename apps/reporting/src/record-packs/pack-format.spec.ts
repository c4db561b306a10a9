import { SUPPORT_RECORD_COLUMNS } from '../reports/support-record-rows';
import { decodePack, encodePack, fits, nextSlot, PACK_MAX_BYTES, PACK_MAX_ROWS, packRow, unpackRow } from './pack-format';

const row = (i: number) =>
  Object.fromEntries(SUPPORT_RECORD_COLUMNS.map((c) => [c.key, c.kind === 'int' ? i : c.key === 'account_id' ? 'acme' : c.key === 'steps' ? `line 1\nline "2", ${i}` : c.key === 'analysis' ? null : `${c.key} ${i}`]));

describe('the record pack format', () => {
  it('gives back every cell of a row, with the account name joined at read time', () => {
    const packed = packRow(row(3));
    expect(packed).not.toContain('\n');
    expect(unpackRow(packed, new Map([['acme', 'Acme Corporation']]))).toEqual({ ...row(3), account_name: 'Acme Corporation' });
    expect(unpackRow(packed, new Map())).toEqual({ ...row(3), account_name: 'acme' });
    expect(Object.keys(unpackRow(packed, new Map()))).toEqual(SUPPORT_RECORD_COLUMNS.map((c) => c.key));
  });

  it('encodes a pack and decodes its rows in order', async () => {
    const rows = new Map([3, 1, 2].map((i) => [`c${i}`, packRow(row(i))]));
    const doc = await encodePack({ month: '2026-03', accountId: 'acme', n: 4 }, rows, 7);
    expect(doc).toMatchObject({ _id: '2026-03:acme:4', rev: 7, count: 3, ids: 'c3\nc1\nc2' });
    expect(await decodePack(doc)).toEqual({ month: '2026-03', accountId: 'acme', n: 4, ids: ['c3', 'c1', 'c2'], rows: [...rows.values()] });
    expect(await decodePack(await encodePack({ month: '2026-03', accountId: 'acme', n: 0 }, new Map(), 1))).toMatchObject({ ids: [], rows: [] });
    await expect(decodePack({ ...doc, v: 99 })).rejects.toThrow(/rebuild\.js --packs/);
  });

  it('closes a pack at PACK_MAX_ROWS rows or PACK_MAX_BYTES, and a single row always fits', () => {
    let h = { n: 0, rows: 0, bytes: 0 };
    for (let i = 0; i < PACK_MAX_ROWS; i++) h = nextSlot(h, 10);
    expect(h).toEqual({ n: 0, rows: PACK_MAX_ROWS, bytes: PACK_MAX_ROWS * 10 });
    expect(nextSlot(h, 10)).toEqual({ n: 1, rows: 1, bytes: 10 });
    expect(nextSlot({ n: 2, rows: 3, bytes: PACK_MAX_BYTES - 5 }, 10)).toEqual({ n: 3, rows: 1, bytes: 10 });
    expect(fits({ n: 0, rows: 1, bytes: 10 * PACK_MAX_BYTES })).toBe(true);
  });
});
