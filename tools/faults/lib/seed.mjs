// What every run needs before its bursts: staff, accounts (each with its CSM), an escalation policy that
// keeps the rules a burst would trip by volume out of the way, and an account whose SLA goals are short
// enough for timers to fall due during a kill. Everything through the REST API.
import { ADMIN_KEY, sleep } from './system.mjs';

/** One REST call, retried through restarts (5xx, no connection); a 409 counts as done (seeding is idempotent). */
export async function api(gateway, method, path, body, { timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const res = await fetch(`${gateway}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      const json = text ? JSON.parse(text) : undefined;
      if (res.ok || res.status === 409) return json;
      if (res.status < 500)
        throw Object.assign(new Error(`${method} ${path}: ${res.status} ${text}`), { final: true });
      last = `${res.status} ${text}`;
    } catch (e) {
      if (e.final) throw e;
      last = e.message;
    }
    if (Date.now() > deadline) throw new Error(`${method} ${path} failed for ${timeoutMs / 1000} s: ${last}`);
    await sleep(500);
  }
}

export const SLA_ACCOUNT = 'faults-sla';
/** The SLA account's first-response goal (critical, 24×7) and warning threshold. */
export const SLA_GOAL_SECONDS = 40;
export const SLA_WARNING = 0.5;

const VARIANTS = [
  {
    subject: 'Reports are slow',
    description: 'The monthly report takes minutes to load since the last update.',
  },
  {
    subject: 'Invoice shows the wrong address',
    description: 'Our last invoice lists the billing address we had before we moved.',
  },
];

/**
 * The inquiry of request i. Critical, so that notifications go out at once whatever the day and hour
 * of the run (non-critical ones wait for the recipient's working hours).
 */
export const inquiry = (accounts) => (i) => ({
  accountId: accounts[i % accounts.length],
  contact: { name: 'Fault Tester', email: `customer${i % 50}@faults.test` },
  channel: 'api',
  severity: 'critical',
  ...VARIANTS[Math.floor(i / accounts.length) % VARIANTS.length],
});

export async function seed(gateway, { accounts: n }) {
  const staff = [
    ...Array.from({ length: Math.min(10, n) }, (_, i) => ({ id: `faults-csm-${i + 1}`, roles: ['csm'] })),
    { id: 'faults-tier2-1', roles: ['tier2'] },
    { id: 'faults-tier2-2', roles: ['tier2'] },
    { id: 'faults-exec-1', roles: ['executive'] },
  ];
  for (const s of staff) {
    await api(gateway, 'POST', '/v1/staff', {
      ...s,
      name: s.id,
      email: `${s.id}@vendor.faults.test`,
      timeZone: 'UTC',
      workingHours: '00:00-23:59',
    });
  }
  const csms = staff.filter((s) => s.roles[0] === 'csm');
  const accounts = Array.from({ length: n }, (_, i) => `faults-a${i + 1}`);
  for (const [i, id] of [...accounts, SLA_ACCOUNT].entries()) {
    await api(gateway, 'POST', '/v1/accounts', {
      id,
      name: id,
      timeZone: 'UTC',
      csmId: csms[i % csms.length].id,
    });
  }
  // Thousands of cases of one account and category would otherwise each engage the executives
  // (persistent issue), and a long run would see acknowledgement reminders: both are other tests' business.
  await api(gateway, 'POST', '/v1/escalation-policies', {
    repeatCategoryCases: 1000,
    ackTimeouts: { tier1: 'PT12H', tier2: 'PT12H', executive: 'PT12H' },
  });
  await api(gateway, 'POST', '/v1/sla-policies', {
    id: 'faults-sla',
    accountId: SLA_ACCOUNT,
    name: 'Fault suite: goals that fall due within a minute',
    calendarId: '24x7',
    emergencyCalendarId: '24x7',
    warningThreshold: SLA_WARNING,
    goals: { critical: { firstResponse: { duration: `PT${SLA_GOAL_SECONDS}S`, hours: 'emergency' } } },
  });
  return { accounts, staff };
}
