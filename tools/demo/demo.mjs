#!/usr/bin/env node
// `npm run demo`: a small, realistic history in a running system (`npm start`), made through the real
// channels: staff for every tier, accounts in four time zones, a mail into the SMTP listener, a signed
// Intercom webhook, API cases of every severity, a response, a pause, a breach on a short SLA policy, a
// manual escalation and an incident across three accounts. Then it prints what to open.
//
// Safe to run twice: every object has a fixed id or Idempotency-Key (the mail a fixed Message-ID, the
// webhook a fixed notification id), and the two the API cannot key (the escalation, the incident) are
// looked up before they are created. Settings: SLADESK_URL, SLADESK_ADMIN_API_KEY,
// SLADESK_INTERCOM_CLIENT_SECRET, SLADESK_SMTP_PORT (defaults: what `npm start` uses; the URLs it
// wrote into .data/npm-start.json win over the defaults). `--json` prints the ids as one JSON line.
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nodemailer = createRequire(import.meta.url)('nodemailer');
const env = process.env;
const asJson = process.argv.includes('--json');
const out = (line = '') => {
  if (!asJson) console.log(line);
};

const stateFile = join(env.SLADESK_DATA_DIR ?? join(root, '.data'), 'npm-start.json');
const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {};
const base = (env.SLADESK_URL ?? state.urls?.gateway ?? `http://127.0.0.1:${env.PORT ?? 3000}`).replace(/\/v1\/?$/, '').replace(/\/$/, '');
const key = env.SLADESK_ADMIN_API_KEY ?? 'dev-admin-key-change-me';
const intercomSecret = env.SLADESK_INTERCOM_CLIENT_SECRET ?? 'dev-intercom-secret-change-me';
const smtpIn = new URL(env.SLADESK_SMTP_PORT ? `smtp://127.0.0.1:${env.SLADESK_SMTP_PORT}` : (state.urls?.smtpIn ?? 'smtp://127.0.0.1:2525'));
const supportAddress = (env.SLADESK_SUPPORT_ADDRESSES ?? state.supportAddress ?? 'support@sladesk.local').split(',')[0].trim();
const mailUi = env.SLADESK_MAILPIT_URL ?? state.urls?.mail;
const runStarted = Date.now();

class ApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} answered ${status}: ${body?.code ?? ''} ${body?.message ?? JSON.stringify(body)}`);
    this.status = status;
    this.code = body?.code;
  }
}

async function api(method, path, body, idempotencyKey) {
  const headers = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError(method, path, res.status, parsed);
  return parsed;
}

/** Every item of a paginated list. */
async function all(path) {
  const items = [];
  let cursor;
  do {
    const page = await api('GET', `${path}${path.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

const fresh = (obj) => {
  const at = obj?.createdAt ?? obj?.openedAt;
  return at && Date.parse(at) >= runStarted - 1000 ? 'created' : 'already there';
};

/** POST with a fixed id and Idempotency-Key; an object that exists already (409) is read instead. */
async function ensure(collection, body) {
  try {
    return await api('POST', `/v1/${collection}`, body, `demo:${collection}:${body.id}`);
  } catch (e) {
    if (e.status !== 409) throw e;
    return api('GET', `/v1/${collection}/${body.id}`);
  }
}

async function waitFor(what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const caseIn = (accountId, channel, subject) =>
  all(`/v1/cases?accountId=${accountId}`).then((cases) => cases.find((c) => c.channel === channel && c.subject === subject));

// ---------------------------------------------------------------------------------------------------

try {
  const res = await fetch(`${base}/health`);
  if (!res.ok) throw new Error(`health answered ${res.status}: ${JSON.stringify(await res.json())}`);
} catch (e) {
  console.error(`No healthy SLA Desk at ${base} (${e.message}).\nStart it first with \`npm start\` (or set SLADESK_URL), then run \`npm run demo\` again.`);
  process.exit(1);
}
out(`SLA Desk demo against ${base}`);

// Staff for every tier: CSMs (Tier 1) on two continents, Tier 2 engineers, an executive and a manager.
const staff = [
  { id: 'demo-carla', name: 'Carla Mendes', roles: ['csm'], timeZone: 'America/New_York', workingHours: '09:00-18:00' },
  { id: 'demo-kenji', name: 'Kenji Sato', roles: ['csm'], timeZone: 'Asia/Tokyo', workingHours: '09:00-18:00' },
  { id: 'demo-tom', name: 'Tom Becker', roles: ['tier2'], timeZone: 'Europe/Berlin', workingHours: '08:00-17:00' },
  { id: 'demo-tara', name: 'Tara Singh', roles: ['tier2'], timeZone: 'America/Los_Angeles', workingHours: '09:00-18:00' },
  { id: 'demo-erin', name: 'Erin Walsh', roles: ['executive'], timeZone: 'America/New_York', workingHours: '08:00-19:00' },
  { id: 'demo-mia', name: 'Mia Laurent', roles: ['manager'], timeZone: 'Europe/Paris', workingHours: '09:00-18:00' },
];
out('\nStaff');
for (const s of staff) {
  const view = await ensure('staff', { ...s, email: `${s.id.replace('demo-', '')}@vendor.example` });
  out(`  ${view.id.padEnd(12)} ${s.roles.join(',').padEnd(10)} ${s.timeZone.padEnd(20)} ${fresh(view)}`);
}

// Accounts in four time zones, each with its CSM, contacts and mail domain.
const accounts = [
  { id: 'demo-acme', name: 'Acme Corp', timeZone: 'America/New_York', csmId: 'demo-carla', contacts: [{ name: 'Ada Lovelace', email: 'ada@acme.example' }], emailDomains: ['acme.example'] },
  { id: 'demo-globex', name: 'Globex GmbH', timeZone: 'Europe/Berlin', csmId: 'demo-carla', contacts: [{ name: 'Hans Gruber', email: 'hans@globex.example' }], emailDomains: ['globex.example'] },
  { id: 'demo-initech', name: 'Initech KK', timeZone: 'Asia/Tokyo', csmId: 'demo-kenji', contacts: [{ name: 'Yuki Tanaka', email: 'yuki@initech.example' }], emailDomains: ['initech.example'] },
  { id: 'demo-umbrella', name: 'Umbrella Pty', timeZone: 'Australia/Sydney', csmId: 'demo-kenji', contacts: [{ name: 'Olivia Brown', email: 'olivia@umbrella.example' }], emailDomains: ['umbrella.example'] },
];
out('\nAccounts');
for (const a of accounts) {
  const view = await ensure('accounts', a);
  out(`  ${view.id.padEnd(14)} ${a.name.padEnd(14)} ${a.timeZone.padEnd(20)} CSM ${a.csmId}  ${fresh(view)}`);
}

// A short SLA policy for Umbrella: high cases must be answered within one minute, around the clock.
const policy = await ensure('sla-policies', {
  id: 'demo-umbrella-fast',
  accountId: 'demo-umbrella',
  name: 'Umbrella premium (demo: 1-minute first response)',
  calendarId: '24x7',
  goals: { high: { firstResponse: { duration: 'PT1M' } } },
});
out(`\nSLA policy ${policy.id} for demo-umbrella: high first response PT1M, 24×7  ${fresh(policy)}`);

// API cases of every severity.
const apiCases = {
  critical: { accountId: 'demo-acme', contact: { name: 'Ada Lovelace', email: 'ada@acme.example' }, subject: 'Checkout fails for every customer', description: 'Since 14:05 UTC every payment ends with "gateway error 502". Revenue is stopped.', severity: 'critical', category: 'technical' },
  high: { accountId: 'demo-umbrella', contact: { name: 'Olivia Brown', email: 'olivia@umbrella.example' }, subject: 'Scheduled report export times out', description: 'The nightly export of the sales report has failed three nights in a row.', severity: 'high', category: 'technical' },
  normal: { accountId: 'demo-globex', contact: { name: 'Hans Gruber', email: 'hans@globex.example' }, subject: 'How do we add SSO users in bulk?', description: 'We are onboarding 300 people next week. Is there a CSV import for SSO users?', severity: 'normal', category: 'how-to' },
  low: { accountId: 'demo-initech', contact: { name: 'Yuki Tanaka', email: 'yuki@initech.example' }, subject: 'Typo on the invoice page', description: 'The invoice page says "Ammount due".', severity: 'low', category: 'other' },
  login: { accountId: 'demo-initech', contact: { name: 'Yuki Tanaka', email: 'yuki@initech.example' }, subject: 'SSO login redirects in a loop', description: 'Since this morning our people cannot sign in: the SSO page redirects forever.', severity: 'high', category: 'technical' },
};
const cases = {};
out('\nCases through the API');
for (const [name, body] of Object.entries(apiCases)) {
  cases[name] = await api('POST', '/v1/cases', { ...body, channel: 'api' }, `demo:case:${name}`);
  out(`  #${String(cases[name].number).padEnd(4)} ${body.severity.padEnd(8)} ${body.accountId.padEnd(14)} ${body.subject}  ${fresh(cases[name])}`);
}

// A mail into the SMTP listener of the support address: a case with a receipt (see Mailpit).
const mailSubject = 'Cannot log in since this morning';
const transport = nodemailer.createTransport({ host: smtpIn.hostname, port: Number(smtpIn.port), secure: false, ignoreTLS: true });
await transport.sendMail({
  from: '"Ada Lovelace" <ada@acme.example>',
  to: supportAddress,
  subject: mailSubject,
  text: 'Hello,\n\nnone of us can log in since about 8am: the login page spins forever.\n\nAda',
  messageId: '<demo-login-acme@acme.example>',
});
transport.close();
cases.email = await waitFor('the mailed case', () => caseIn('demo-acme', 'email', mailSubject));
out(`  #${String(cases.email.number).padEnd(4)} by mail to ${supportAddress} from ada@acme.example: ${mailSubject}  ${fresh(cases.email)}`);

// A signed Intercom webhook: a conversation opened by a Globex user.
const now = Math.floor(Date.now() / 1000);
const notification = {
  type: 'notification_event',
  id: 'demo-notif-globex-login',
  topic: 'conversation.user.created',
  app_id: 'demo-app',
  created_at: now,
  delivery_attempts: 1,
  data: {
    type: 'notification_event_data',
    item: {
      type: 'conversation',
      id: 'demo-conv-globex-login',
      created_at: now,
      source: {
        type: 'conversation',
        subject: '',
        body: '<p>Login page keeps spinning for our whole team.</p>',
        author: { type: 'user', id: 'demo-user-hans', name: 'Hans Gruber', email: 'hans@globex.example' },
      },
      conversation_parts: { type: 'conversation_part.list', conversation_parts: [] },
    },
  },
};
const raw = JSON.stringify(notification);
const hook = await fetch(`${base}/v1/channels/intercom/webhook`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-hub-signature': `sha1=${createHmac('sha1', intercomSecret).update(raw).digest('hex')}` },
  body: raw,
});
if (!hook.ok) throw new ApiError('POST', '/v1/channels/intercom/webhook', hook.status, await hook.json().catch(() => undefined));
cases.intercom = await waitFor('the Intercom case', async () => (await all('/v1/cases?accountId=demo-globex')).find((c) => c.channel === 'intercom'));
out(`  #${String(cases.intercom.number).padEnd(4)} by Intercom conversation demo-conv-globex-login from hans@globex.example  ${fresh(cases.intercom)}`);

// The work: a response (and a resolution) on the how-to question; a question back and a pause on the typo.
out('\nWork on the cases');
await api('POST', `/v1/cases/${cases.normal.id}/responses`, { by: 'demo-carla', text: 'Yes: Settings → Users → Import CSV accepts SSO users. A template is attached to our help article.' }, 'demo:respond:normal');
await api('POST', `/v1/cases/${cases.normal.id}/resolve`, { by: 'demo-carla', summary: 'Pointed to the CSV import for SSO users.' }, 'demo:resolve:normal');
out(`  #${cases.normal.number} answered and resolved by demo-carla`);
await api('POST', `/v1/cases/${cases.low.id}/responses`, { by: 'demo-kenji', text: 'Thanks! Could you send a screenshot so we fix the right page?' }, 'demo:respond:low');
await api('POST', `/v1/cases/${cases.low.id}/status`, { by: 'demo-kenji', to: 'waiting_on_customer', reason: 'Asked for a screenshot' }, 'demo:pause:low');
out(`  #${cases.low.number} asked for a screenshot and paused (waiting_on_customer: its SLA clocks stop)`);

// A manual escalation: the critical case goes up one level with a reason.
const manualReason = 'Acme’s CFO called: the checkout outage is costing them orders every minute';
let escalation = (await all(`/v1/escalations?caseId=${cases.critical.id}&reason=manual`))[0];
if (!escalation) escalation = await api('POST', '/v1/escalations', { caseId: cases.critical.id, reason: manualReason, by: 'demo-carla' });
out(`  #${cases.critical.number} escalated by hand to ${escalation.level}  ${fresh(escalation)}`);

// An incident linking the login cases of three accounts: platform-wide, so executives are told.
const incidentTitle = 'Demo: login outage across customers';
let incident = (await all('/v1/incidents')).find((i) => i.title === incidentTitle);
if (!incident) {
  incident = await api('POST', '/v1/incidents', {
    title: incidentTitle,
    severity: 'high',
    description: 'Sessions fail to start; three customers reported it by mail, Intercom and the API.',
    caseIds: [cases.email.id, cases.intercom.id, cases.login.id],
  });
}
out(`  incident #${incident.number} "${incidentTitle}" links ${incident.caseIds.length} cases of ${incident.accountIds.length} accounts${incident.platformWide ? ' (platform-wide: executives notified)' : ''}  ${fresh(incident)}`);

// The breach: Umbrella's high case has a one-minute goal and no response.
const sla = await api('GET', `/v1/cases/${cases.high.id}/sla`).catch(() => undefined);
const first = sla?.clocks?.find((c) => c.clock === 'first_response');
const dueAt = first?.dueAt ? new Date(first.dueAt) : undefined;
out(
  `  #${cases.high.number} (Umbrella, high, policy demo-umbrella-fast) ${first?.breached ? 'has breached its first-response goal' : `breaches its first-response goal at ${dueAt ? dueAt.toISOString() : 'one minute after it opened'}`}: then it escalates one level up`,
);

const curlKey = key === 'dev-admin-key-change-me' ? '' : '  (with your SLADESK_ADMIN_API_KEY)';
out(`
Open
  API docs         ${base}/docs   ("Authorize" with the API key, then try the calls below)
  mail             ${mailUi ?? '(your SLADESK_SMTP_URL relay)'}  receipts, notifications to the CSMs, Tier 2 and executives
                   (non-critical notifications wait for the recipient's working hours; see ${base}/v1/notifications)
The API answers with the key only (Authorization: Bearer ${key}):
  a case           ${base}/v1/cases/${cases.critical.id}            (the record: contact, times, timeline)
  its timeline     ${base}/v1/cases/${cases.critical.id}/timeline?verify=true   (hash-chained: intact?)
  its SLA          ${base}/v1/cases/${cases.critical.id}/sla
  the breach       ${base}/v1/cases/${cases.high.id}/sla
  escalations      ${base}/v1/escalations?state=open
  the incident     ${base}/v1/incidents/${incident.id}
  e.g.             curl -s -H "Authorization: Bearer ${key}" ${base}/v1/cases/${cases.critical.id}/timeline${curlKey}
Run it again: nothing is duplicated.`);

if (asJson) {
  console.log(
    JSON.stringify({
      staff: staff.map((s) => s.id),
      accounts: accounts.map((a) => a.id),
      policy: policy.id,
      cases: Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, c.id])),
      escalation: escalation.id,
      incident: incident.id,
    }),
  );
}
