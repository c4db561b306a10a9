import { ReportKind, ReportPeriod } from '@sladesk/contracts';

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

export interface Column {
  key: string;
  header: string;
  /** How PDF and XLSX show it; CSV and JSON carry the raw value. */
  kind?: 'text' | 'int' | 'percent' | 'seconds' | 'datetime' | 'long';
  /** Relative width in the PDF, characters in XLSX. */
  width?: number;
}

export interface Table {
  name: string;
  title: string;
  columns: Column[];
  /** Rows in memory (aggregates) or streamed from a cursor (the support record, notices). */
  rows: Row[] | (() => AsyncIterable<Row>);
  /** Rows expected, for progress. */
  expectedRows?: number;
  /** The PDF shows at most this many rows of the table (the other formats all of them). */
  pdfLimit?: number;
}

/** A key figure of the executive summary. */
export interface Figure {
  label: string;
  value: string;
  detail?: string;
}

/** A chart for the PDF: an ECharts option drawn as SVG, or, with no data, the reason why there is none. */
export interface Chart {
  title: string;
  option?: Record<string, unknown>;
  empty?: string;
}

/** What every format renders: CSV the first table; XLSX, PDF and JSON all of it. */
export interface ReportDoc {
  report: ReportKind;
  title: string;
  period: ReportPeriod;
  accountId?: string;
  accountName?: string;
  generatedAt: string;
  /** Said prominently in every format (e.g. data that does not exist yet). */
  notice?: string;
  figures: Figure[];
  charts: Chart[];
  tables: Table[];
  /** The structured figures, as the JSON format carries them next to the tables. */
  summary: unknown;
  /** Rows of the first table expected (decides between one reply and an export job). */
  expectedRows: number;
  /** Per-case support record: the PDF prints each case's steps under its row. */
  caseDetails?: boolean;
}

export async function* rowsOf(t: Table): AsyncIterable<Row> {
  if (Array.isArray(t.rows)) yield* t.rows;
  else yield* t.rows();
}

export const pct = (n: number, d: number): number | null => (d > 0 ? Math.round((1000 * n) / d) / 10 : null);
export const fmtPct = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${v.toFixed(1)} %`);
