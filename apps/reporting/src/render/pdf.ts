import * as echarts from 'echarts';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { formatDuration } from '../read-models/histogram';
import { periodLabel } from '../reports/period';
import { Cell, Chart, Column, fmtPct, ReportDoc, Row, Table } from '../reports/report-doc';
import { Progress } from './streams';

type Doc = PDFKit.PDFDocument;

const INK = '#1f2933';
const MUTED = '#6b7785';
const ACCENT = '#1d4ed8';
const RULE = '#d5dbe3';
const MARGIN = 40;

/** The standard PDF fonts encode Latin-1 only: anything else would print as garbage, so it becomes `?`. */
export const pdfText = (s: string): string =>
  s
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/[^\t\n\r\x20-\x7e\xa0-\xff]/g, '?');

export function cellText(c: Column, v: Cell): string {
  if (v === null || v === undefined || v === '') return '-';
  switch (c.kind) {
    case 'percent':
      return fmtPct(typeof v === 'number' ? v : Number(v));
    case 'seconds':
      return formatDuration(typeof v === 'number' ? v : Number(v));
    case 'datetime':
      return String(v).replace('T', ' ').slice(0, 16);
    default:
      return String(v);
  }
}

/** An ECharts option drawn server-side as SVG (text stays text), always disposed. */
export function chartSvg(option: Record<string, unknown>, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: 'Helvetica' }, color: ['#1d4ed8', '#d97706', '#059669', '#dc2626'], ...option });
    // Labels get a white outline painted under the text (paint-order), which svg-to-pdfkit paints over it instead.
    return chart.renderToSVGString().replace(/<text[^>]*paint-order="stroke"[^>]*>/g, (tag) => tag.replace(/ (stroke|stroke-width|paint-order|stroke-miterlimit)="[^"]*"/g, ''));
  } finally {
    chart.dispose();
  }
}

function header(doc: Doc, r: ReportDoc): void {
  doc.rect(0, 0, doc.page.width, 70).fill(ACCENT);
  doc.fillColor('#ffffff').font('Helvetica-Bold').fontSize(20).text(pdfText(`SLA Desk - ${r.title}`), MARGIN, 22);
  doc.font('Helvetica').fontSize(10).text(pdfText(`Period ${periodLabel(r.period)}  |  ${r.accountId ? `Account ${r.accountName ?? r.accountId} (${r.accountId})` : 'All accounts'}  |  generated ${r.generatedAt.slice(0, 16).replace('T', ' ')} UTC`), MARGIN, 48);
  doc.fillColor(INK);
  doc.y = 90;
}

function summaryPage(doc: Doc, r: ReportDoc): void {
  header(doc, r);
  doc.font('Helvetica-Bold').fontSize(14).fillColor(INK).text('Executive summary', MARGIN, doc.y);
  doc.moveDown(0.6);
  if (r.notice) {
    const y = doc.y;
    const h = doc.font('Helvetica').fontSize(9).heightOfString(pdfText(r.notice), { width: doc.page.width - 2 * MARGIN - 20 }) + 14;
    doc.rect(MARGIN, y, doc.page.width - 2 * MARGIN, h).fill('#fff7ed');
    doc.fillColor('#9a3412').text(pdfText(r.notice), MARGIN + 10, y + 7, { width: doc.page.width - 2 * MARGIN - 20 });
    doc.fillColor(INK);
    doc.y = y + h + 10;
  }
  const boxW = (doc.page.width - 2 * MARGIN - 12) / 2;
  const boxH = 64;
  const top = doc.y;
  r.figures.forEach((f, i) => {
    const x = MARGIN + (i % 2) * (boxW + 12);
    const y = top + Math.floor(i / 2) * (boxH + 10);
    doc.roundedRect(x, y, boxW, boxH, 4).lineWidth(0.8).strokeColor(RULE).stroke();
    doc.fillColor(MUTED).font('Helvetica').fontSize(8.5).text(pdfText(f.label), x + 10, y + 8, { width: boxW - 20 });
    doc.fillColor(INK).font('Helvetica-Bold').fontSize(17).text(pdfText(f.value), x + 10, y + 22, { width: boxW - 20 });
    if (f.detail) doc.fillColor(MUTED).font('Helvetica').fontSize(8).text(pdfText(f.detail), x + 10, y + 45, { width: boxW - 20, height: 12, ellipsis: true });
  });
  doc.fillColor(INK);
  doc.y = top + Math.ceil(r.figures.length / 2) * (boxH + 10) + 6;
}

function drawChart(doc: Doc, c: Chart, width: number, height: number): void {
  if (doc.y + height + 30 > doc.page.height - MARGIN) doc.addPage({ size: 'A4', margin: MARGIN });
  doc.font('Helvetica-Bold').fontSize(11).fillColor(INK).text(pdfText(c.title), MARGIN, doc.y);
  const y = doc.y + 4;
  if (c.option) {
    SVGtoPDF(doc, chartSvg(c.option, width, height), MARGIN, y, { width, height, assumePt: true });
  } else {
    doc.rect(MARGIN, y, width, 60).fill('#f4f6f8');
    doc.fillColor(MUTED).font('Helvetica').fontSize(9).text(pdfText(c.empty ?? 'No data'), MARGIN + 12, y + 14, { width: width - 24 });
    height = 60;
  }
  doc.fillColor(INK);
  doc.x = MARGIN;
  doc.y = y + height + 14;
}

interface Layout {
  cols: Column[];
  widths: number[];
}

function layoutOf(doc: Doc, cols: Column[]): Layout {
  const total = cols.reduce((n, c) => n + (c.width ?? 8), 0);
  const usable = doc.page.width - 2 * MARGIN;
  return { cols, widths: cols.map((c) => (usable * (c.width ?? 8)) / total) };
}

function rowHeight(doc: Doc, l: Layout, cells: string[], size: number): number {
  doc.font('Helvetica').fontSize(size);
  return Math.max(...cells.map((t, i) => doc.heightOfString(t, { width: l.widths[i] - 4 }))) + 4;
}

function drawRow(doc: Doc, l: Layout, cells: string[], size: number, bold = false): void {
  const y = doc.y;
  const h = rowHeight(doc, l, cells, size);
  let x = MARGIN;
  doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size).fillColor(INK);
  cells.forEach((t, i) => {
    doc.text(t, x + 2, y + 2, { width: l.widths[i] - 4, lineBreak: true });
    x += l.widths[i];
  });
  doc.moveTo(MARGIN, y + h).lineTo(doc.page.width - MARGIN, y + h).lineWidth(0.4).strokeColor(RULE).stroke();
  doc.x = MARGIN;
  doc.y = y + h;
}

async function drawTable(doc: Doc, t: Table, progress: Progress, out: Writable, details: boolean): Promise<void> {
  doc.addPage({ size: 'A4', layout: 'landscape', margin: MARGIN });
  doc.font('Helvetica-Bold').fontSize(12).fillColor(INK).text(pdfText(t.title), MARGIN, MARGIN);
  doc.moveDown(0.4);
  const cols = details ? t.columns.filter((c) => DETAIL_KEYS.includes(c.key)) : t.columns;
  const l = layoutOf(doc, cols);
  const size = cols.length > 12 ? 6 : 7.5;
  const head = cols.map((c) => pdfText(c.header.replace(/_seconds$/, '').replace(/_pct$/, ' %').replace(/_/g, ' ')));
  const bottom = () => doc.page.height - MARGIN;
  drawRow(doc, l, head, size, true);
  let n = 0;
  for await (const row of progress.count(t)) {
    if (t.pdfLimit !== undefined && n >= t.pdfLimit) continue;
    n++;
    const cells = cols.map((c) => pdfText(cellText(c, row[c.key])));
    if (doc.y + rowHeight(doc, l, cells, size) > bottom()) {
      doc.addPage({ size: 'A4', layout: 'landscape', margin: MARGIN });
      drawRow(doc, l, head, size, true);
    }
    drawRow(doc, l, cells, size);
    if (details) caseDetails(doc, row, bottom);
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  if (n === 0) doc.font('Helvetica').fontSize(9).fillColor(MUTED).text('No rows for this period.', MARGIN, doc.y + 6);
  if (t.pdfLimit !== undefined && progress.rows > n) doc.font('Helvetica').fontSize(8).fillColor(MUTED).text(`First ${n} rows shown; the CSV and XLSX formats carry all of them.`, MARGIN, doc.y + 6);
}

/** Columns of the support record printed as a table; description, analysis, steps and resolution follow each row. */
const DETAIL_KEYS = ['case_number', 'account_name', 'received_at', 'contact_name', 'subject', 'severity', 'first_response_at', 'resolved_at', 'status', 'first_response_goal', 'resolution_goal'];

function caseDetails(doc: Doc, row: Row, bottom: () => number): void {
  const width = doc.page.width - 2 * MARGIN - 20;
  const parts: [string, Cell][] = [
    ['Contact', [row.contact_name, row.contact_email].filter(Boolean).join(' <') + (row.contact_email ? '>' : '')],
    ['Description', row.description],
    ['Analysis', row.analysis],
    ['Steps and actions', row.steps],
    ['Resolution', row.resolved_at ? `${cellText({ key: '', header: '', kind: 'datetime' }, row.resolved_at)} by ${row.resolved_by ?? '-'}: ${row.resolution_summary ?? ''}` : 'not resolved'],
    ['SLA breaches', row.sla_breaches],
  ];
  for (const [label, value] of parts) {
    if (value === null || value === undefined || value === '') continue;
    const text = pdfText(`${label}: ${String(value)}`);
    doc.font('Helvetica').fontSize(6.5).fillColor(label === 'SLA breaches' ? '#b91c1c' : MUTED);
    if (doc.y + Math.min(doc.heightOfString(text, { width }), 40) > bottom()) doc.addPage({ size: 'A4', layout: 'landscape', margin: MARGIN });
    doc.text(text, MARGIN + 20, doc.y + 1, { width });
  }
  doc.fillColor(INK);
  doc.x = MARGIN;
  doc.y += 3;
}

/**
 * The PDF: an executive summary page (key figures), the charts drawn as vector graphics, then the
 * tables (the support record with every case's description, analysis and steps). Streamed page by page.
 */
export async function renderPdf(r: ReportDoc, out: Writable, progress = new Progress()): Promise<void> {
  // PDF 1.4 (no object streams): every reader, pdf-parse and pdftoppm included, opens it.
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, pdfVersion: '1.4', info: { Title: `SLA Desk ${r.title} ${periodLabel(r.period)}`, Author: 'SLA Desk', Creator: 'SLA Desk reporting' } });
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve).once('error', reject);
    doc.once('error', reject);
  });
  doc.pipe(out);
  summaryPage(doc, r);
  const width = doc.page.width - 2 * MARGIN;
  for (const c of r.charts) drawChart(doc, c, width, 175);
  for (const t of r.tables) await drawTable(doc, t, progress, out, !!r.caseDetails && t === r.tables[0]);
  doc.end();
  await finished;
}
