import { EXPORT_STATES, REPORT_FORMATS, REPORT_KINDS } from '@sladesk/contracts';

// Response schemas of the report resources (the views are interfaces, so they are written out here).

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const day = { type: 'string', format: 'date' };

export const exportJobSchema = {
  type: 'object',
  properties: {
    id: str,
    report: { type: 'string', enum: [...REPORT_KINDS] },
    format: { type: 'string', enum: [...REPORT_FORMATS] },
    period: { type: 'object', properties: { from: day, to: day, month: str } },
    accountId: str,
    state: { type: 'string', enum: [...EXPORT_STATES] },
    rows: { type: 'integer', description: 'rows written so far' },
    totalRows: { type: 'integer', description: 'rows expected (from the counters) until done' },
    percent: { type: 'integer' },
    contentType: str,
    filename: str,
    bytes: { type: 'integer' },
    chunks: { type: 'integer' },
    sha256: str,
    error: str,
    createdAt: time,
    startedAt: time,
    finishedAt: time,
    downloadPath: { type: 'string', description: 'GET it once state is done' },
  },
};

export const digestSchema = {
  type: 'object',
  properties: {
    month: str,
    state: { type: 'string', enum: ['claimed', 'generated', 'mailed', 'failed'] },
    exportId: { type: 'string', description: 'the PDF: GET /v1/exports/{exportId}/download' },
    recipients: { type: 'array', items: str, description: 'executives mailed' },
    generatedAt: time,
    mailedAt: time,
    instance: str,
  },
};
