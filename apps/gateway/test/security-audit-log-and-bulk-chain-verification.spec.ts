import { seedAcme, Stack, startStack } from './stack';
import { Call, caller, createKey, json } from './security-kit';

const inquiry = (n: number) => ({ accountId: 'acme', contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: `Case ${n}`, description: 'Spins.', severity: 'low' });

describe('audit: every mutation recorded with who and from where; every case chain verified in bulk, naming each break', () => {
  let stack: Stack;
  let admin: Call;
  let csm: Call;
  let csmKeyId: string;
  const caseIds: string[] = [];

  beforeAll(async () => {
    stack = await startStack('security_audit');
    await seedAcme(stack);
    admin = caller(stack.gateway.url);
    const k = await createKey(admin, ['csm']);
    csmKeyId = k.id;
    csm = caller(stack.gateway.url, k.key);
    for (let n = 0; n < 5; n++) {
      const c = await json(await csm('/v1/cases', { json: inquiry(n), headers: { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'audit-test/1' } }));
      await csm(`/v1/cases/${c.id}/responses`, { json: { by: 'csm-carla', text: 'We are on it.' } });
      await csm(`/v1/cases/${c.id}/actions`, { json: { by: 'csm-carla', kind: 'note', text: 'Checked the logs.' } });
      caseIds.push(c.id);
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('lists mutations newest first: who, from where, what, how it ended — refusals too — in pages', async () => {
    await csm('/v1/accounts', { json: { name: 'Not allowed', timeZone: 'UTC' } });
    const first = await json(await admin('/v1/audit?limit=3'));
    expect(first.items).toHaveLength(3);
    expect(first.items[0]).toMatchObject({ actor: `key:${csmKeyId}`, roles: ['csm'], method: 'POST', route: '/v1/accounts', status: 403, code: 'AUTH.FORBIDDEN' });
    const all = [...first.items];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await json(await admin(`/v1/audit?limit=3&cursor=${cursor}`));
      all.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(all.map((r) => r.at)).toEqual([...all.map((r) => r.at)].sort().reverse());
    const created = all.filter((r) => r.route === '/v1/cases' && r.method === 'POST');
    expect(created).toHaveLength(5);
    expect(created[0]).toMatchObject({ actor: `key:${csmKeyId}`, ip: '198.51.100.23', userAgent: 'audit-test/1', status: 201, correlationId: expect.any(String) });
    expect(all.filter((r) => r.route === '/v1/cases/:id/responses')).toHaveLength(5);
    expect(all.find((r) => r.route === '/v1/api-keys')).toMatchObject({ actor: expect.stringMatching(/^key:env-/), roles: ['admin'], status: 201 });
    // Reads are not mutations.
    expect(all.filter((r) => r.method === 'GET')).toEqual([]);
    // Filter by caller.
    const mine = await json(await admin(`/v1/audit?actor=key:${csmKeyId}&limit=200`));
    expect(mine.items.every((r: { actor: string }) => r.actor === `key:${csmKeyId}`)).toBe(true);
    expect(mine.items.length).toBe(16);
    // Only admins and executives read it.
    expect((await csm('/v1/audit')).status).toBe(403);
  });

  it('verifies every chain in bulk, streaming progress, and names each break', async () => {
    const clean = (await (await admin('/v1/audit/verify?batch=2')).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(clean.filter((l) => l.type === 'progress').length).toBeGreaterThanOrEqual(3);
    expect(clean.at(-1)).toEqual({ type: 'done', checked: 5, intact: 5, broken: 0 });

    // Someone edits what we answered in one case, and removes the last entry of another.
    const cases = stack.db.collection('cases');
    await cases.updateOne({ _id: caseIds[1] as never }, { $set: { 'timeline.1.text': 'We never said that.' } });
    const victim = await cases.findOne({ _id: caseIds[3] as never });
    await cases.updateOne({ _id: caseIds[3] as never }, { $set: { timeline: victim!.timeline.slice(0, -1) } });

    const res = await admin('/v1/audit/verify?batch=2');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    const breaks = lines.filter((l) => l.type === 'break');
    expect(breaks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ caseId: caseIds[1], accountId: 'acme', brokenAt: { seq: 2, reason: expect.stringMatching(/personal data does not match its commitment|content does not match its hash/) } }), // v2 (default) or v1
        expect.objectContaining({ caseId: caseIds[3], brokenAt: expect.objectContaining({ reason: expect.stringContaining('entries removed') }) }),
      ]),
    );
    expect(breaks).toHaveLength(2);
    expect(lines.at(-1)).toEqual({ type: 'done', checked: 5, intact: 3, broken: 2 });
    // Progress came before the end, batch by batch.
    expect(lines.filter((l) => l.type === 'progress').map((l) => l.checked)).toEqual([2, 4, 5]);
  });
});
