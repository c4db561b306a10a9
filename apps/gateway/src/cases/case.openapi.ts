import { CASE_STATUSES, CATEGORIES, CHANNELS, SEVERITIES, TIMELINE_KINDS } from '@sladesk/contracts';

// Response schemas of the case resources (the views are interfaces, so they are written out here).

const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const actor = { type: 'object', properties: { kind: { type: 'string', enum: ['staff', 'contact', 'system'] }, id: str, name: str } };
const reason = { type: 'object', properties: { source: { type: 'string', enum: ['explicit', 'rule', 'default'] }, rule: str, matched: str } };
const attachment = { type: 'object', properties: { filename: str, contentType: str, size: { type: 'integer' }, sha256: str } };

export const caseViewSchema = {
  type: 'object',
  properties: {
    id: str,
    number: { type: 'integer' },
    accountId: str,
    contact: { type: 'object', properties: { name: str, email: str } },
    channel: { type: 'string', enum: [...CHANNELS] },
    subject: str,
    description: str,
    analysis: str,
    severity: { type: 'string', enum: [...SEVERITIES] },
    category: { type: 'string', enum: [...CATEGORIES] },
    classification: { type: 'object', description: 'Why the case has its severity and category', properties: { severity: reason, category: reason } },
    status: { type: 'string', enum: [...CASE_STATUSES] },
    assigneeId: str,
    receivedAt: time,
    firstResponse: { type: 'object', properties: { at: time, by: actor } },
    resolution: { type: 'object', properties: { at: time, by: actor, summary: str } },
    reopenCount: { type: 'integer' },
    slaBreached: { type: 'boolean' },
    followUpOf: str,
    intercomConversationId: str,
    attachments: { type: 'array', items: attachment },
    createdAt: time,
    updatedAt: time,
  },
};

export const timelineEntrySchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    kind: { type: 'string', enum: [...TIMELINE_KINDS] },
    at: time,
    recordedAt: time,
    actor,
    text: str,
    data: { type: 'object' },
    attachments: { type: 'array', items: attachment },
    prevHash: str,
    hash: { type: 'string', description: 'sha256(prevHash, canonical entry)' },
  },
};

export const caseRecordSchema = {
  allOf: [
    caseViewSchema,
    {
      type: 'object',
      properties: {
        timeline: { type: 'array', items: timelineEntrySchema, description: 'The latest entries, oldest of them first' },
        timelineTotal: { type: 'integer', description: 'Entries in the whole timeline' },
        timelineCursor: { ...str, description: 'Present when `timeline` is not the whole timeline: pass as `cursor` to the timeline' },
      },
    },
  ],
};

export const caseChangeSchema = { type: 'object', properties: { case: caseViewSchema, entry: timelineEntrySchema } };

export const timelineSchema = {
  type: 'object',
  properties: {
    caseId: str,
    entries: { type: 'array', items: timelineEntrySchema },
    nextCursor: { ...str, description: 'Pass as `cursor` for the next page; absent after the last entry' },
    verification: {
      type: 'object',
      properties: {
        intact: { type: 'boolean' },
        entries: { type: 'integer' },
        headHash: str,
        brokenAt: { type: 'object', properties: { seq: { type: 'integer' }, reason: str } },
      },
    },
  },
};

export const pageOf = (item: object) => ({ type: 'object', properties: { items: { type: 'array', items: item }, nextCursor: str } });
