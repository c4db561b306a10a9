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

/**
 * An integration key of `acme` asks, by id, in lists and by filter, for the objects of every other
 * account (cases, their timelines and clocks, escalations, exports, accounts and notice preferences):
 * 403 or 404 every time, while its own account's objects answer.
 */
describe('an account-scoped key sees and changes only its own account', () => {
  let stack: Stack;
  let reporting: ServiceChild;
  let admin: Call;
  let acme: Call;
  const others: { account: string; caseId: string; escalationId: string; exportId: string }[] = [];
  let ownCase: string;

  beforeAll(async () => {
    stack = await startStack('security_scope', { escalation: true });
    reporting = spawnService('reporting', { ...envOf(stack.gateway), SLADESK_DIGEST_ENABLED: 'false' });
    await reporting.ready;
    admin = caller(stack.gateway.url);
    await seedAcme(stack);
    for (const [account, domain] of [['beta', 'beta.test'], ['gamma', 'gamma.test']]) {
      const res = await admin('/v1/accounts', { json: { id: account, name: account, timeZone: 'Europe/Paris', csmId: 'csm-carla', emailDomains: [domain] } });
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
  });

  afterAll(async () => {
    await reporting?.kill();
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
    }
    // Lists across accounts are not for it at all.
    for (const path of ['/v1/accounts', '/v1/staff', '/v1/notifications', '/v1/incidents', '/v1/channels/review-queue', '/v1/audit', '/v1/api-keys', '/v1/reports/digests']) {
      await expectRefused(path, await acme(path));
    }
    expect(outcomes.length).toBe(others.length * 18 + 8);
    // Its unfiltered lists hold nothing of theirs.
    const ids = others.flatMap((o) => [o.caseId, o.escalationId]);
    for (const path of ['/v1/cases', '/v1/escalations']) {
      const page = await json(await acme(path));
      expect(page.items.filter((i: { id: string }) => ids.includes(i.id))).toEqual([]);
    }
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
});
