import { mongo } from 'mongoose';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { Row } from '../reports/report-doc';
import { SUPPORT_RECORD_COLUMNS } from '../reports/support-record-rows';

// The support record's rows of resolved cases, pre-rendered and packed a few hundred to a document.
// Why this shape: FerretDB 1.24 reads a document at ~20–40 MB/s of its JSON and pushes down only
// `{_id: <value>}`, so the export reads few, compact documents by `_id`; one compressed blob per pack
// costs a fraction of a map of rows (measured on this machine: 512 rows as one string 41,000 rows/s,
// as a map of strings 23,500 rows/s; deflated, the bytes FerretDB converts shrink 4–6× on real text).

/** Bumped when the packed row changes shape: the reader refuses other versions (rebuild: `rebuild.js --packs`). */
export const PACK_FORMAT = 1;
/** A pack is closed for new cases beyond this many rows or uncompressed bytes (a row that grows later still fits). */
export const PACK_MAX_ROWS = 500;
export const PACK_MAX_BYTES = 512 * 1024;
/** A rendered row bigger than this is not packed: its case stays loose and is rendered from rm_cases at export. */
export const PACKED_ROW_MAX_BYTES = 64 * 1024;

/** Every column but the account's name, which is joined at export (an account can be renamed). */
const PACKED_KEYS = SUPPORT_RECORD_COLUMNS.map((c) => c.key).filter((k) => k !== 'account_name');

/** `<month>:<account>`: the head of an account's packs in a month. Accounts are ids without `:`. */
export const headId = (month: string, accountId: string): string => `${month}:${accountId}`;
export const packId = (month: string, accountId: string, n: number): string => `${headId(month, accountId)}:${n}`;

/** A row as stored in a pack: a JSON array of the cells in column order, without the account's name (never a newline inside). */
export const packRow = (row: Row): string => JSON.stringify(PACKED_KEYS.map((k) => row[k] ?? null));

export function unpackRow(packed: string, names: Map<string, string>): Row {
  const cells = JSON.parse(packed) as Row[string][];
  const row: Row = {};
  for (const c of SUPPORT_RECORD_COLUMNS) {
    if (c.key === 'account_name') continue;
    row[c.key] = cells[PACKED_KEYS.indexOf(c.key)];
  }
  const accountId = row.account_id as string | null;
  // Same rule as SupportRecordRows.row: the id when no account event named it.
  return Object.fromEntries(SUPPORT_RECORD_COLUMNS.map((c) => [c.key, c.key === 'account_name' ? (accountId ? (names.get(accountId) ?? accountId) : null) : row[c.key]]));
}

export const rowHash = (packed: string): string => createHash('sha256').update(packed).digest('base64url').slice(0, 22);

/** A pack's rows as the export reads them: case ids and packed rows, in the order they joined. */
export interface PackRows {
  month: string;
  accountId: string;
  n: number;
  ids: string[];
  rows: string[];
}

/** The document in rm_record_packs. */
export interface PackDoc {
  _id: string;
  month: string;
  accountId: string;
  n: number;
  v: number;
  /** Optimistic concurrency: a pack is replaced whole, only if nobody wrote it since it was read. */
  rev: number;
  count: number;
  /** Uncompressed bytes of the rows. */
  bytes: number;
  /** The case ids, `\n`-separated, in the order of the rows. */
  ids: string;
  /** The rows, `\n`-separated, raw deflate. */
  data: mongo.Binary | Buffer;
}

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

export async function encodePack(p: Omit<PackRows, 'ids' | 'rows'>, rows: Map<string, string>, rev: number): Promise<PackDoc> {
  const text = Buffer.from([...rows.values()].join('\n'));
  return {
    _id: packId(p.month, p.accountId, p.n),
    month: p.month,
    accountId: p.accountId,
    n: p.n,
    v: PACK_FORMAT,
    rev,
    count: rows.size,
    bytes: text.length,
    ids: [...rows.keys()].join('\n'),
    // Level 1: writes are on the projection's path; reading a deflated pack costs the same whatever the level.
    data: await deflate(text, { level: 1 }),
  };
}

export async function decodePack(doc: PackDoc): Promise<PackRows> {
  if (doc.v !== PACK_FORMAT) {
    throw new Error(`record pack ${doc._id} has format ${doc.v}, this version reads ${PACK_FORMAT}: run rebuild.js --packs`);
  }
  const data = doc.data instanceof mongo.Binary ? doc.data.buffer : doc.data;
  const ids = doc.count ? doc.ids.split('\n') : [];
  const rows = doc.count ? (await inflate(data)).toString('utf8').split('\n') : [];
  return { month: doc.month, accountId: doc.accountId, n: doc.n, ids, rows };
}

/** Where packing stands for one account and month: the pack taking new cases and how full it is. */
export interface Head {
  n: number;
  rows: number;
  bytes: number;
}

/** A head with one more row of `bytes` in its pack still within bounds (a single row always fits). */
export const fits = (h: Head): boolean => h.rows <= 1 || (h.rows <= PACK_MAX_ROWS && h.bytes <= PACK_MAX_BYTES);

/** The head after one more case of `bytes` was given a pack, as RecordPacks.assign moves it in the database. */
export function nextSlot(h: Head, bytes: number): Head {
  const added = { n: h.n, rows: h.rows + 1, bytes: h.bytes + bytes };
  return fits(added) ? added : { n: h.n + 1, rows: 1, bytes };
}
