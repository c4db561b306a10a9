import ExcelJS from 'exceljs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { periodLabel } from '../reports/period';
import { Cell, Column, ReportDoc } from '../reports/report-doc';
import { Progress } from './streams';

const NUMBER_FORMATS: Partial<Record<NonNullable<Column['kind']>, string>> = {
  int: '0',
  percent: '0.0',
  seconds: '0',
  datetime: 'yyyy-mm-dd hh:mm:ss',
};

/** Sheet names: at most 31 characters, none of `[]:*?/\`. */
const sheetName = (s: string): string => s.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31);

function value(c: Column, v: Cell): ExcelJS.CellValue {
  if (v === null || v === undefined) return null;
  if (c.kind === 'datetime' && typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v);
  return v;
}

/**
 * The report as a workbook: a Summary sheet (period, scope, key figures), then one sheet per table,
 * written with exceljs's streaming writer, which has no back-pressure of its own: rows are committed as
 * they come, and every 1,000 rows the writer yields and waits for the destination to drain.
 */
export async function renderXlsx(r: ReportDoc, out: Writable, progress = new Progress()): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'SLA Desk';
  wb.created = new Date(r.generatedAt);
  const summary = wb.addWorksheet('Summary');
  summary.columns = [
    { header: 'Item', key: 'k', width: 34 },
    { header: 'Value', key: 'v', width: 28 },
    { header: 'Detail', key: 'd', width: 70 },
  ];
  summary.getRow(1).font = { bold: true };
  const lines: [string, string, string?][] = [
    ['Report', `SLA Desk - ${r.title}`],
    ['Period', periodLabel(r.period), `${r.period.from} to ${r.period.to} (UTC days)`],
    ['Scope', r.accountId ? `${r.accountName ?? r.accountId}` : 'All accounts', r.accountId],
    ['Generated at', r.generatedAt],
    ...(r.notice ? [['Notice', r.notice] as [string, string]] : []),
    ...r.figures.map((f) => [f.label, f.value, f.detail] as [string, string, string?]),
  ];
  for (const [k, v, d] of lines) summary.addRow({ k, v, d: d ?? null }).commit();
  summary.commit();

  for (const t of r.tables) {
    const ws = wb.addWorksheet(sheetName(t.name));
    ws.columns = t.columns.map((c) => ({
      header: c.header,
      key: c.key,
      width: Math.max(10, Math.round((c.width ?? 8) * 1.6)),
      style: {
        ...(c.kind && NUMBER_FORMATS[c.kind] ? { numFmt: NUMBER_FORMATS[c.kind] } : {}),
        ...(c.kind === 'long' ? { alignment: { wrapText: true, vertical: 'top' as const } } : {}),
      },
    }));
    ws.getRow(1).font = { bold: true };
    ws.getRow(1).commit();
    let n = 0;
    for await (const row of progress.count(t)) {
      ws.addRow(Object.fromEntries(t.columns.map((c) => [c.key, value(c, row[c.key])]))).commit();
      if (++n % 1000 === 0 && out.writableNeedDrain) await once(out, 'drain');
    }
    ws.commit();
  }
  const finished = new Promise<void>((resolve, reject) => out.once('finish', resolve).once('error', reject));
  await wb.commit();
  if (!out.writableFinished) await finished;
}
