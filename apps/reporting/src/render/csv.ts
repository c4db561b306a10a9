import { stringify } from 'csv-stringify';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Table } from '../reports/report-doc';
import { Progress } from './streams';

/**
 * A table as CSV (RFC 4180, UTF-8 with a BOM for spreadsheet programs), streamed from its rows. Cells
 * that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) are prefixed with `'`.
 */
export async function renderCsv(table: Table, out: Writable, progress = new Progress()): Promise<void> {
  const stringifier = stringify({
    header: true,
    bom: true,
    columns: table.columns.map((c) => ({ key: c.key, header: c.header })),
    escape_formulas: true,
    cast: { boolean: (b) => (b ? 'true' : 'false') },
  });
  await pipeline(Readable.from(progress.count(table)), stringifier, out);
}
