import { NoticeKind } from '@sladesk/contracts';
import Handlebars from 'handlebars';

/** An instant as a reader in `timeZone` reads it: `Tue, Mar 11, 2025, 02:00 EDT`. */
export function formatInZone(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(iso));
}

const hbs = Handlebars.create();
hbs.registerHelper('time', (iso: unknown, options: Handlebars.HelperOptions) =>
  typeof iso === 'string' ? formatInZone(iso, (options.data.root as { timeZone: string }).timeZone) : '',
);
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);

const WINDOW_FACTS = `{{title}}
Components: {{join components}}
Expected impact: {{impact}}
{{#if description}}
{{description}}
{{/if}}`;

const TEMPLATES: Record<NoticeKind, { subject: string; text: string }> = {
  'window.scheduled': {
    subject: 'Scheduled maintenance: {{title}} — {{time plannedStart}}',
    text: `Scheduled maintenance

When: {{time plannedStart}} to {{time plannedEnd}} ({{timeZone}})
${WINDOW_FACTS}`,
  },
  'window.rescheduled': {
    subject: 'Maintenance rescheduled: {{title}} — now {{time plannedStart}}',
    text: `The maintenance window has moved.

Was: {{time previousStart}} to {{time previousEnd}}
Now: {{time plannedStart}} to {{time plannedEnd}} ({{timeZone}})
{{#if reason}}Why: {{reason}}
{{/if}}
${WINDOW_FACTS}`,
  },
  'window.reminder': {
    subject: 'Reminder: maintenance {{title}} starts {{time plannedStart}}',
    text: `Reminder: maintenance starts in {{offsetText}}.

When: {{time plannedStart}} to {{time plannedEnd}} ({{timeZone}})
${WINDOW_FACTS}`,
  },
  'window.started': {
    subject: 'Maintenance in progress: {{title}}',
    text: `Maintenance started at {{time actualStart}} ({{timeZone}}); planned to end at {{time plannedEnd}}.

${WINDOW_FACTS}`,
  },
  'window.completed': {
    subject: 'Maintenance completed: {{title}}',
    text: `Maintenance is complete.

Started: {{time actualStart}}
Ended: {{time actualEnd}} ({{timeZone}})
${WINDOW_FACTS}`,
  },
  'window.cancelled': {
    subject: 'Maintenance cancelled: {{title}} ({{time plannedStart}})',
    text: `The maintenance planned for {{time plannedStart}} to {{time plannedEnd}} ({{timeZone}}) is cancelled; no reminders will follow.
{{#if reason}}Why: {{reason}}
{{/if}}
${WINDOW_FACTS}`,
  },
  'advisory.announced': {
    subject: '{{#if security}}Security advisory{{else}}{{kindLabel}}{{/if}} ({{severity}}): {{title}}',
    text: `{{#if security}}Security advisory{{else}}{{kindLabel}}{{/if}} — severity {{severity}}

{{title}}
{{summary}}

Affected:
{{#each affects}}- {{component}} {{versions}}{{#if fixedIn}} (fixed in {{fixedIn}}){{/if}}
{{/each}}
{{#if cves}}CVE: {{join cves}}
{{/if}}
{{#if workaround}}Workaround until the patch is released:
{{workaround}}
{{/if}}
We apply, test and validate the patch on a test version of the application before distributing it; you will be told when it is released.`,
  },
  'advisory.released': {
    subject: '{{#if security}}Security patch released{{else}}{{kindLabel}} released{{/if}}: {{title}} ({{version}})',
    text: `{{#if security}}Security patch released{{else}}{{kindLabel}} released{{/if}} — version {{version}} (announced as severity {{severity}})

{{title}}
{{summary}}

Affected:
{{#each affects}}- {{component}} {{versions}}{{#if fixedIn}} (fixed in {{fixedIn}}){{/if}}
{{/each}}
{{#if workaround}}Workaround (no longer needed once you run {{version}}):
{{workaround}}
{{/if}}
Validated on {{validatedOn}} before release.`,
  },
};
hbs.registerHelper('join', (list: unknown) => (Array.isArray(list) ? list.join(', ') : ''));

const compiled = Object.fromEntries(
  Object.entries(TEMPLATES).map(([kind, t]) => [kind, { subject: hbs.compile(t.subject, { noEscape: true }), text: hbs.compile(t.text, { noEscape: true }) }]),
) as Record<NoticeKind, { subject: Handlebars.TemplateDelegate; text: Handlebars.TemplateDelegate }>;

export interface Rendered {
  subject: string;
  text: string;
}

/** A notice in one time zone (plain text; every time in that zone). */
export function render(kind: NoticeKind, data: Record<string, unknown>, timeZone: string): Rendered {
  const t = compiled[kind];
  const ctx = { ...data, timeZone };
  return { subject: t.subject(ctx).replace(/\s+/g, ' ').trim(), text: t.text(ctx).replace(/\n{3,}/g, '\n\n').trim() };
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The text as simple HTML paragraphs (Intercom messages are HTML). */
export const toHtml = (text: string): string =>
  text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
