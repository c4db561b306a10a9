/** Response schemas of the maintenance resources (requests come from the contract classes). */
const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const strings = { type: 'array', items: str };

export const pageSchema = (item: object) => ({
  type: 'object',
  properties: { items: { type: 'array', items: item }, nextCursor: { type: 'string', description: 'Absent on the last page' } },
});

export const windowSchema = {
  type: 'object',
  properties: {
    id: str,
    title: str,
    description: str,
    components: strings,
    impact: { type: 'string', enum: ['none', 'degraded', 'outage'] },
    state: { type: 'string', enum: ['scheduled', 'in_progress', 'completed', 'cancelled'] },
    plannedStart: time,
    plannedEnd: time,
    actualStart: time,
    actualEnd: time,
    audience: { type: 'string', enum: ['all', 'subscribers'] },
    reminderOffsets: strings,
    version: { type: 'integer', description: '+1 with every reschedule' },
    series: { type: 'object', properties: { id: str, rrule: str, timeZone: str, occurrence: { type: 'integer' } } },
    reminders: { type: 'array', items: { type: 'object', properties: { offset: str, dueAt: time, state: { type: 'string', enum: ['pending', 'sent', 'cancelled', 'superseded'] }, sentAt: time } } },
    history: { type: 'array', items: { type: 'object', properties: { at: time, action: str, by: str, note: str, previousStart: time, previousEnd: time } } },
    occurrences: { type: 'array', description: 'Recurring windows only', items: { type: 'object', properties: { id: str, plannedStart: time, plannedEnd: time } } },
    createdAt: time,
    updatedAt: time,
  },
};

export const advisorySchema = {
  type: 'object',
  properties: {
    id: str,
    kind: { type: 'string', enum: ['security_patch', 'update', 'upgrade', 'release', 'documentation'] },
    severity: { type: 'string', enum: ['critical', 'high', 'medium', 'low', 'info'] },
    title: str,
    summary: str,
    affects: { type: 'array', items: { type: 'object', properties: { component: str, versions: str, fixedIn: str } } },
    workaround: str,
    cves: strings,
    links: strings,
    stage: { type: 'string', enum: ['draft', 'applied', 'validated', 'released'] },
    announcedAt: time,
    releasedAt: time,
    releasedVersion: str,
    evidence: {
      type: 'array',
      items: { type: 'object', properties: { stage: str, by: str, at: time, environment: str, version: str, result: { type: 'string', enum: ['passed', 'failed'] }, notes: str, links: strings } },
    },
    version: { type: 'integer' },
    createdAt: time,
    updatedAt: time,
  },
};

export const preferencesSchema = {
  type: 'object',
  properties: {
    accountId: str,
    known: { type: 'boolean', description: 'Whether the account was seen from intake yet' },
    name: str,
    timeZone: str,
    subscriptions: { type: 'array', nullable: true, items: str, description: 'null: every component' },
    contacts: {
      type: 'array',
      items: { type: 'object', properties: { email: str, name: str, security: { type: 'boolean' }, receivesNotices: { type: 'boolean' }, intercomUserId: str, source: { type: 'string', enum: ['account', 'preferences'] } } },
    },
    calendarUrl: { type: 'string', description: 'Signed .ics feed URL for calendar apps' },
    updatedAt: time,
  },
};

export const noticeSchema = {
  type: 'object',
  properties: {
    id: str,
    kind: str,
    security: { type: 'boolean' },
    windowId: str,
    advisoryId: str,
    components: strings,
    state: { type: 'string', enum: ['pending', 'fanning_out', 'done'] },
    accounts: { type: 'integer' },
    deliveries: { type: 'integer' },
    createdAt: time,
    completedAt: time,
  },
};

export const deliverySchema = {
  type: 'object',
  properties: {
    id: str,
    noticeId: str,
    accountId: str,
    channel: { type: 'string', enum: ['email', 'intercom'] },
    to: str,
    subject: str,
    state: { type: 'string', enum: ['pending', 'sent', 'failed'] },
    attempts: { type: 'integer' },
    sentAt: time,
    lastError: str,
    createdAt: time,
  },
};
