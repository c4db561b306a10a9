import { Rpc } from '@sladesk/contracts';
import { ServiceChild, spawnService, waitFor } from '@sladesk/testing';
import { seedAcme, Stack, startStack } from './stack';
import { Call, caller, createKey, envOf, json } from './security-kit';

/** The answers that mean "not yours" (a 404 ROUTE.NOT_FOUND, say, would mean the test asked for nothing). */
const REFUSALS = ['CASE.NOT_FOUND', 'ACCOUNT.NOT_FOUND', 'ESCALATION.NOT_FOUND', 'EXPORT.NOT_FOUND', 'AUTH.FORBIDDEN', 'AUTH.ACCOUNT_FORBIDDEN'];

const inquiry = (accountId: string, email: string) => ({
  accountId,
  contact: { name: 'Somebody', email },
  channel: 'api',
  subject: 'Cannot log in',
  description: 'The login page spins forever.',
  severity: 'high',
  category: 'technical',
});

const MONTH = new Date().toISOString().slice(0, 7);

/**
 * An integration key of `acme` asks, by id, in lists and by filter, for the objects of every other
 * account (cases, their timelines and clocks, escalations, exports, reports, availability credits,
 * accounts, notice preferences and notice deliveries): 403 or 404 every time, while its own account's
 * objects answer. The services themselves refuse too: each gets the caller's scope and answers 404.
 */
describe('an account-scoped key sees and changes only its own account', () => {
  let stack: Stack;
  let reporting: ServiceChild;
  let maintenance: ServiceChild;
  let admin: Call;
  let acme: Call;
  const others: { account: string; caseId: string; escalationId: string; exportId: string }[] = [];
  let ownCase: string;
  let noticeId: string;

  beforeAll(async () => {
    stack = await startStack('security_scope', { escalation: true, sla: true });
    reporting = spawnService('reporting', { ...envOf(stack.gateway), SLADESK_DIGEST_ENABLED: 'false' });
    maintenance = spawnService('maintenance', { ...envOf(stack.gateway), SLADESK_SMTP_URL: stack.relay.url, SLADESK_OUTBOUND_TICK_MS: '200', SLADESK_MAINTENANCE_TICK_MS: '200' });
    await Promise.all([reporting.ready, maintenance.ready]);
    admin = caller(stack.gateway.url);
    await seedAcme(stack);
    for (const [account, domain] of [['beta', 'beta.test'], ['gamma', 'gamma.test']]) {
      const res = await admin('/v1/accounts', {
        json: { id: account, name: account, timeZone: 'Europe/Paris', csmId: 'csm-carla', emailDomains: [domain], contacts: [{ name: 'Contact', email: `contact@${domain}` }] },
      });
      expect(res.status).toBe(201);
      const c = await json(await admin('/v1/cases', { json: inquiry(account, `someone@${domain}`) }));
      // Escalation knows the case once it saw case.opened.
      let escalation: { id?: string } = {};
      await waitFor(async () => {
        const r = await admin('/v1/escalations', { json: { caseId: c.id, reason: 'Customer threatens to churn' } });
        escalation = await json(r);
        return r.status === 201;
      }, 'a manual escalation accepted');
      const job = await json(await admin('/v1/exports', { json: { report: 'support-record', format: 'csv', accountId: account } }));
      others.push({ account, caseId: c.id, escalationId: escalation.id!, exportId: job.id });
    }
    const key = (await createKey(admin, ['integration'], { accountId: 'acme' })).key;
    acme = caller(stack.gateway.url, key);
    const mine = await acme('/v1/cases', { json: inquiry('acme', 'ada@acme.test') });
    expect(mine.status).toBe(201);
    ownCase = (await json(mine)).id;
    // A notice told to every account: its deliveries are per account.
    const w = await json(
      await admin('/v1/maintenance-windows', {
        json: { title: 'Database upgrade', components: ['database'], impact: 'degraded', plannedStart: '2031-03-11T06:00:00Z', plannedEnd: '2031-03-11T08:00:00Z', reminderOffsets: [] },
      }),
    );
    await waitFor(async () => {
      const notices = (await json(await admin(`/v1/notices?windowId=${w.id}`))).items ?? [];
      if (notices[0]?.state !== 'done') return false;
      noticeId = notices[0].id;
      const accounts = new Set((await json(await admin(`/v1/notices/${noticeId}/deliveries`))).items.map((d: { accountId: string }) => d.accountId));
      return ['acme', 'beta', 'gamma'].every((a) => accounts.has(a));
    }, 'the scheduled notice delivered to every account');
  });

  afterAll(async () => {
    await reporting?.kill();
    await maintenance?.kill();
    await stack?.stop();
  });

  it('answers its own account’s objects', async () => {
    expect((await acme(`/v1/cases/${ownCase}`)).status).toBe(200);
    expect((await acme(`/v1/cases/${ownCase}/timeline`)).status).toBe(200);
    expect((await acme('/v1/accounts/acme')).status).toBe(200);
    const list = await json(await acme('/v1/cases'));
    expect(list.items.map((c: { id: string }) => c.id)).toEqual([ownCase]);
    expect((await acme(`/v1/cases/${ownCase}/customer-replies`, { json: { text: 'Any news?' } })).status).toBe(201);
    const escalations = await json(await acme('/v1/escalations'));
    expect(escalations.items.every((e: { accountId?: string }) => e.accountId === 'acme')).toBe(true);
    await waitFor(async () => (await acme(`/v1/cases/${ownCase}/sla`)).status === 200, 'its own case’s clocks');
    const availability = await json(await acme(`/v1/availability?month=${MONTH}`));
    expect(availability.accounts.map((a: { accountId: string }) => a.accountId)).toEqual(['acme']);
    const deliveries = await json(await acme(`/v1/notices/${noticeId}/deliveries`));
    expect(deliveries.items.map((d: { accountId: string; to: string }) => [d.accountId, d.to])).toEqual([['acme', 'ada@acme.test']]);
    expect((await acme(`/v1/reports/escalations?month=${MONTH}`)).status).toBe(200);
    expect((await acme('/v1/accounts/acme/notice-preferences')).status).toBe(200);
  });

  it('an admin sees every account’s objects', async () => {
    for (const o of others) {
      expect((await admin(`/v1/escalations/${o.escalationId}`)).status).toBe(200);
      expect((await admin(`/v1/exports/${o.exportId}`)).status).toBe(200);
      await waitFor(async () => (await admin(`/v1/cases/${o.caseId}/sla`)).status === 200, `the clocks of ${o.account}’s case`);
      expect((await admin(`/v1/accounts/${o.account}/notice-preferences`)).status).toBe(200);
      expect((await admin(`/v1/reports/support-record?accountId=${o.account}&month=${MONTH}`)).status).toBe(200);
    }
    const availability = await json(await admin(`/v1/availability?month=${MONTH}`));
    expect(availability.accounts.map((a: { accountId: string }) => a.accountId)).toEqual(expect.arrayContaining(['acme', 'beta', 'gamma']));
    const deliveries = await json(await admin(`/v1/notices/${noticeId}/deliveries`));
    expect(new Set(deliveries.items.map((d: { accountId: string }) => d.accountId))).toEqual(new Set(['acme', 'beta', 'gamma']));
  });

  it('gets 403 or 404 for every other account’s object, by id, in lists and by filter', async () => {
    const outcomes: string[] = [];
    const expectRefused = async (label: string, res: Response) => {
      const body = res.headers.get('content-type')?.includes('json') ? await json(res) : {};
      outcomes.push(`${label} → ${res.status} ${body.code ?? ''}`);
      if ((res.status !== 403 && res.status !== 404) || !REFUSALS.includes(body.code)) throw new Error(`${label} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    };
    for (const o of others) {
      // by id
      await expectRefused(`case ${o.account}`, await acme(`/v1/cases/${o.caseId}`));
      await expectRefused(`timeline ${o.account}`, await acme(`/v1/cases/${o.caseId}/timeline?verify=true`));
      await expectRefused(`sla ${o.account}`, await acme(`/v1/cases/${o.caseId}/sla`));
      await expectRefused(`reply ${o.account}`, await acme(`/v1/cases/${o.caseId}/customer-replies`, { json: { text: 'Hijack' } }));
      await expectRefused(`respond ${o.account}`, await acme(`/v1/cases/${o.caseId}/responses`, { json: { by: 'csm-carla', text: 'x' } }));
      await expectRefused(`resolve ${o.account}`, await acme(`/v1/cases/${o.caseId}/resolve`, { json: { by: 'csm-carla', summary: 'x' } }));
      await expectRefused(`account ${o.account}`, await acme(`/v1/accounts/${o.account}`));
      await expectRefused(`notice preferences ${o.account}`, await acme(`/v1/accounts/${o.account}/notice-preferences`));
      await expectRefused(`escalation ${o.account}`, await acme(`/v1/escalations/${o.escalationId}`));
      await expectRefused(`ack ${o.account}`, await acme(`/v1/escalations/${o.escalationId}/ack`, { json: { by: 'csm-carla' } }));
      await expectRefused(`export ${o.account}`, await acme(`/v1/exports/${o.exportId}`));
      await expectRefused(`download ${o.account}`, await acme(`/v1/exports/${o.exportId}/download`));
      // in lists, by filter
      await expectRefused(`cases of ${o.account}`, await acme(`/v1/cases?accountId=${o.account}`));
      await expectRefused(`escalations of ${o.account}`, await acme(`/v1/escalations?accountId=${o.account}`));
      await expectRefused(`escalations of case ${o.account}`, await acme(`/v1/escalations?caseId=${o.caseId}`));
      await expectRefused(`report of ${o.account}`, await acme(`/v1/reports/support-record?accountId=${o.account}`));
      await expectRefused(`export of ${o.account}`, await acme('/v1/exports', { json: { report: 'support-record', accountId: o.account } }));
      await expectRefused(`case for ${o.account}`, await acme('/v1/cases', { json: inquiry(o.account, 'x@acme.test') }));
      for (const report of ['sla-compliance', 'escalations', 'availability', 'notices']) {
        await expectRefused(`${report} report of ${o.account}`, await acme(`/v1/reports/${report}?accountId=${o.account}`));
      }
      await expectRefused(`availability of ${o.account}`, await acme(`/v1/availability?month=${MONTH}&accountId=${o.account}`));
    }
    // Lists across accounts are not for it at all.
    for (const path of ['/v1/accounts', '/v1/staff', '/v1/notifications', '/v1/incidents', '/v1/channels/review-queue', '/v1/audit', '/v1/api-keys', '/v1/reports/digests']) {
      await expectRefused(path, await acme(path));
    }
    expect(outcomes.length).toBe(others.length * 23 + 8);
    // Its unfiltered lists hold nothing of theirs.
    const ids = others.flatMap((o) => [o.caseId, o.escalationId]);
    for (const path of ['/v1/cases', '/v1/escalations']) {
      const page = await json(await acme(path));
      expect(page.items.filter((i: { id: string }) => ids.includes(i.id))).toEqual([]);
    }
    const deliveries = await json(await acme(`/v1/notices/${noticeId}/deliveries`));
    expect(deliveries.items.filter((d: { accountId: string }) => d.accountId !== 'acme')).toEqual([]);
  });

  it('the data layer refuses too: intake answers CASE.NOT_FOUND to a request scoped to another account', async () => {
    const scope = { accountId: 'acme' };
    for (const o of others) {
      await expect(stack.bus.request(Rpc.CaseGet, { id: o.caseId, scope })).rejects.toMatchObject({ code: 'CASE.NOT_FOUND' });
      await expect(stack.bus.request(Rpc.CaseTimeline, { id: o.caseId, scope })).rejects.toMatchObject({ code: 'CASE.NOT_FOUND' });
      await expect(stack.bus.request(Rpc.CaseRespond, { caseId: o.caseId, by: 'csm-carla', text: 'x', scope })).rejects.toMatchObject({ code: 'CASE.NOT_FOUND' });
      await expect(stack.bus.request(Rpc.CaseCreate, { ...inquiry(o.account, 'x@acme.test'), scope } as never)).rejects.toMatchObject({ code: 'ACCOUNT.NOT_FOUND' });
    }
    // …and the same requests without a scope (staff) are answered.
    expect((await stack.bus.request(Rpc.CaseGet, { id: others[0].caseId })).accountId).toBe(others[0].account);
  });

  it('the data layer refuses too: escalation, sla, reporting and maintenance answer 404 to a request scoped to another account', async () => {
    const scope = { accountId: 'acme' };
    for (const o of others) {
      await expect(stack.bus.request(Rpc.EscalationGet, { id: o.escalationId, scope })).rejects.toMatchObject({ code: 'ESCALATION.NOT_FOUND' });
      await expect(stack.bus.request(Rpc.EscalationAck, { id: o.escalationId, by: 'csm-carla', scope })).rejects.toMatchObject({ code: 'ESCALATION.NOT_FOUND' });
      await expect(stack.bus.request(Rpc.CaseSlaGet, { caseId: o.caseId, scope })).rejects.toMatchObject({ code: 'CASE.NOT_FOUND' });
      await expect(stack.bus.request(Rpc.ExportGet, { id: o.exportId, scope })).rejects.toMatchObject({ code: 'EXPORT.NOT_FOUND' });
      await expect(stack.bus.request(Rpc.ExportChunk, { id: o.exportId, n: 0, scope })).rejects.toMatchObject({ code: 'EXPORT.NOT_FOUND' });
      await expect(stack.bus.request(Rpc.NoticePreferencesGet, { accountId: o.account, scope })).rejects.toMatchObject({ code: 'ACCOUNT.NOT_FOUND' });
      // Staff (no scope) are answered.
      expect((await stack.bus.request(Rpc.EscalationGet, { id: o.escalationId })).accountId).toBe(o.account);
      expect((await stack.bus.request(Rpc.CaseSlaGet, { caseId: o.caseId })).accountId).toBe(o.account);
      expect((await stack.bus.request(Rpc.ExportGet, { id: o.exportId })).accountId).toBe(o.account);
    }
    // An export across accounts (no accountId) is not an account's: not found for a scoped caller.
    const all = await stack.bus.request(Rpc.ExportCreate, { report: 'support-record', format: 'csv' });
    await expect(stack.bus.request(Rpc.ExportGet, { id: all.id, scope })).rejects.toMatchObject({ code: 'EXPORT.NOT_FOUND' });
    const page = await stack.bus.request(Rpc.NoticeDeliveries, { id: noticeId, scope });
    expect(page.items.map((d) => d.accountId)).toEqual(['acme']);
  });
});
