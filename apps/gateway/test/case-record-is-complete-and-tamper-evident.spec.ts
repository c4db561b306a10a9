import { EventEnvelope, Events, makeEnvelope, Streams } from '@sladesk/contracts';
import { waitFor } from '@sladesk/testing';
import { jsonOf, seedAcme, Stack, startStack } from './stack';

describe('the system of record: accounts, staff, and a case through its whole life over HTTP', () => {
  let stack: Stack;
  const inquiry = (over: object = {}) => ({
    accountId: 'acme',
    contact: { name: 'Ada Lovelace', email: 'ada@acme.test' },
    channel: 'phone',
    subject: 'Cannot log in',
    description: 'Since this morning the login page spins forever.',
    receivedAt: '2026-11-23T14:00:00.000Z',
    ...over,
  });
  const step = async (caseId: string, path: string, json: object, headers: Record<string, string> = {}) => {
    const res = await stack.http(`/v1/cases/${caseId}/${path}`, { json, headers });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return jsonOf(res);
  };
  const eventsFor = async (caseId: string) => {
    const info = await stack.bus.jsm.streams.info(Streams.Events.name);
    const out: EventEnvelope<{ caseId?: string }>[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await stack.bus.jsm.streams.getMessage(Streams.Events.name, { seq }).catch(() => null);
      const e = m?.json<EventEnvelope<{ caseId?: string }>>();
      if (e?.payload.caseId === caseId) out.push(e);
    }
    return out;
  };

  beforeAll(async () => {
    stack = await startStack('record');
    await seedAcme(stack);
  });
  afterAll(() => stack?.stop());

  it('keeps accounts and staff, announces them with their full data, and pages through them', async () => {
    const acme = await jsonOf(await stack.http('/v1/accounts/acme'));
    expect(acme).toMatchObject({ id: 'acme', timeZone: 'America/New_York', csmId: 'csm-carla', emailDomains: ['acme.test'], version: 1 });
    const patched = await jsonOf(await stack.http('/v1/accounts/acme', { method: 'PATCH', json: { emailDomains: ['acme.test', 'acme.example'] } }));
    expect(patched).toMatchObject({ version: 2, emailDomains: ['acme.test', 'acme.example'] });
    const updated = await waitFor(
      () => stack.bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.AccountUpdated }).catch(() => null),
      'account.updated',
    );
    expect(updated!.json<EventEnvelope>().payload).toMatchObject({ id: 'acme', csmId: 'csm-carla', version: 2, contacts: [{ name: 'Ada', email: 'ada@acme.test' }] });
    const staffCreated = await stack.bus.jsm.streams.getMessage(Streams.Events.name, { last_by_subj: Events.StaffCreated });
    expect(staffCreated!.json<EventEnvelope>().payload).toMatchObject({ roles: expect.any(Array), active: true, version: 1 });

    const page1 = await jsonOf(await stack.http('/v1/staff?limit=1'));
    expect(page1.items).toHaveLength(1);
    const page2 = await jsonOf(await stack.http(`/v1/staff?limit=1&cursor=${page1.nextCursor}`));
    expect(page2.items[0].id).not.toBe(page1.items[0].id);
    // A retried creation with the same Idempotency-Key answers the first result.
    const retry = await stack.http('/v1/staff', { json: { id: 'csm-carla', name: 'Carla CSM', email: 'csm-carla@vendor.test', roles: ['csm'] }, headers: { 'idempotency-key': 'seed-csm-carla' } });
    expect(retry.status).toBe(201);
  });

  it.each([
    ['an unknown account', '/v1/cases', () => inquiry({ accountId: 'nobody' }), 404, 'ACCOUNT.NOT_FOUND'],
    ['a CSM who is not a CSM', '/v1/accounts', () => ({ name: 'B', timeZone: 'Europe/Paris', csmId: 't2-tom' }), 422, 'STAFF.ROLE_MISSING'],
    ['an unknown time zone', '/v1/accounts', () => ({ name: 'B', timeZone: 'Mars/Olympus' }), 400, 'VALIDATION.FAILED'],
    ['a duplicate account id', '/v1/accounts', () => ({ id: 'acme', name: 'A', timeZone: 'UTC' }), 409, 'ACCOUNT.ALREADY_EXISTS'],
    ['an unknown role', '/v1/staff', () => ({ name: 'X', email: 'x@vendor.test', roles: ['boss'] }), 400, 'VALIDATION.FAILED'],
    ['a malformed staff email', '/v1/staff', () => ({ name: 'X', email: 'not-an-address', roles: ['csm'] }), 400, 'VALIDATION.FAILED'],
    ['an unknown field', '/v1/accounts', () => ({ name: 'X', timeZone: 'UTC', tier: 'gold' }), 400, 'VALIDATION.FAILED'],
  ])('answers %s with a stable code', async (_what, path, body, status, code) => {
    const res = await stack.http(path, { json: body() });
    expect(res.status).toBe(status);
    expect((await jsonOf(res)).code).toBe(code);
  });

  it('records the five fields of the contract and every step, and announces each change', async () => {
    const created = await jsonOf(await stack.http('/v1/cases', { json: inquiry() }));
    expect(created).toMatchObject({ severity: 'critical', category: 'technical', classification: { severity: { source: 'rule', rule: 'outage', matched: 'cannot log in' } } });
    const id = created.id;

    await step(id, 'assign', { by: 'csm-carla', assigneeId: 't2-tom' });
    await step(id, 'responses', { by: 't2-tom', text: 'We are looking into it.', at: '2026-11-23T14:20:00.000Z' });
    await step(id, 'actions', { by: 't2-tom', kind: 'analysis', text: 'Session store full after the 14:00 deploy.' });
    await step(id, 'actions', { by: 't2-tom', kind: 'step', text: 'Flushed the session store; raised its size.' });
    await step(id, 'status', { by: 't2-tom', to: 'waiting_on_customer', reason: 'Asked the customer to retry' });
    await step(id, 'customer-replies', { text: 'Works again, thanks!' });
    await step(id, 'reclassify', { by: 'csm-carla', severity: 'high', reason: 'Only one team was affected' });
    await step(id, 'resolve', { by: 't2-tom', summary: 'Session store resized; monitoring added.', at: '2026-11-23T15:10:00.000Z' });

    const record = await jsonOf(await stack.http(`/v1/cases/${id}`));
    // 1. date, time and name of the contact · 2. date and time of response · 3. description and analysis · 5. resolution
    expect(record).toMatchObject({
      contact: { name: 'Ada Lovelace', email: 'ada@acme.test' },
      receivedAt: '2026-11-23T14:00:00.000Z',
      firstResponse: { at: '2026-11-23T14:20:00.000Z', by: { kind: 'staff', id: 't2-tom', name: 'Tom Tier2' } },
      description: 'Since this morning the login page spins forever.',
      analysis: 'Session store full after the 14:00 deploy.',
      resolution: { at: '2026-11-23T15:10:00.000Z', by: { id: 't2-tom' }, summary: 'Session store resized; monitoring added.' },
      status: 'resolved',
      severity: 'high',
      assigneeId: 't2-tom',
      classification: { severity: { source: 'explicit' } },
    });
    // 4. all steps and actions taken
    expect(record.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'opened',
      'assigned',
      'response',
      'status_changed',
      'analysis',
      'step',
      'status_changed',
      'customer_reply',
      'status_changed',
      'reclassified',
      'resolved',
    ]);
    expect(record.timeline[3]).toMatchObject({ data: { from: 'new', to: 'open' } });

    await waitFor(async () => (await eventsFor(id)).some((e) => e.type === Events.CaseResolved), 'case.resolved');
    const all = (await eventsFor(id)).map((e) => e.type);
    // Each change is announced by its own event, and its new timeline entries by case.timeline-appended (for the record export).
    expect(all).toContain(Events.CaseTimelineAppended);
    const types = all.filter((t) => t !== Events.CaseTimelineAppended);
    expect(types).toEqual([
      Events.CaseOpened,
      Events.CaseAssigned,
      Events.CaseResponded,
      Events.CaseStatusChanged,
      Events.CaseNoteAdded,
      Events.CaseNoteAdded,
      Events.CaseStatusChanged,
      Events.CaseCustomerReplied,
      Events.CaseStatusChanged,
      Events.CaseReclassified,
      Events.CaseStatusChanged,
      Events.CaseResolved,
    ]);

    const reopened = await step(id, 'reopen', { by: 'csm-carla', reason: 'Customer reports it again' });
    expect(reopened.case).toMatchObject({ status: 'open', reopenCount: 1 });
    expect(reopened.case.resolution).toBeUndefined();
    await waitFor(async () => (await eventsFor(id)).some((e) => e.type === Events.CaseReopened && (e.payload as { reopenCount?: number }).reopenCount === 1), 'case.reopened');
  });

  it('refuses transitions the lifecycle does not allow, with a stable code', async () => {
    const { id } = await jsonOf(await stack.http('/v1/cases', { json: inquiry({ subject: 'Question', description: 'How do I export?' }) }));
    for (const [path, body] of [
      ['reopen', { by: 'csm-carla', reason: 'x' }],
      ['status', { by: 'csm-carla', to: 'closed' }],
    ] as const) {
      const res = await stack.http(`/v1/cases/${id}/${path}`, { json: body });
      expect(res.status).toBe(409);
      expect((await jsonOf(res)).code).toBe('CASE.INVALID_TRANSITION');
    }
    const unknownStaff = await stack.http(`/v1/cases/${id}/responses`, { json: { by: 'nobody', text: 'x' } });
    expect(unknownStaff.status).toBe(404);
    expect((await jsonOf(unknownStaff)).code).toBe('STAFF.NOT_FOUND');
    const badStatus = await stack.http(`/v1/cases/${id}/status`, { json: { by: 'csm-carla', to: 'resolved' } });
    expect(badStatus.status).toBe(400);
  });

  it('applies a retried POST with the same Idempotency-Key once, and refuses the key for another body', async () => {
    const { id } = await jsonOf(await stack.http('/v1/cases', { json: inquiry({ subject: 'Retry me' }) }));
    const headers = { 'idempotency-key': 'resp-1' };
    const first = await step(id, 'responses', { by: 't2-tom', text: 'On it' }, headers);
    const again = await step(id, 'responses', { by: 't2-tom', text: 'On it' }, headers);
    expect(again.entry).toEqual(first.entry);
    const record = await jsonOf(await stack.http(`/v1/cases/${id}`));
    expect(record.timeline.filter((e: { kind: string }) => e.kind === 'response')).toHaveLength(1);
    await waitFor(async () => (await eventsFor(id)).length >= 3, 'events');
    expect((await eventsFor(id)).filter((e) => e.type === Events.CaseResponded)).toHaveLength(1);
    const reused = await stack.http(`/v1/cases/${id}/responses`, { json: { by: 't2-tom', text: 'Something else' }, headers });
    expect(reused.status).toBe(422);
    expect((await jsonOf(reused)).code).toBe('IDEMPOTENCY.KEY_REUSED');
  });

  it('reports an intact chain, then the exact entry that was edited directly in the database', async () => {
    const { id } = await jsonOf(await stack.http('/v1/cases', { json: inquiry({ subject: 'Audit me' }) }));
    await step(id, 'actions', { by: 'csm-carla', kind: 'note', text: 'Called the customer.' });
    await step(id, 'responses', { by: 'csm-carla', text: 'We will call back at 3pm.' });
    const intact = await jsonOf(await stack.http(`/v1/cases/${id}/timeline?verify=true`));
    expect(intact.verification).toEqual({ intact: true, entries: 4, headHash: intact.entries[3].hash });
    expect(intact.entries[1].prevHash).toBe(intact.entries[0].hash);

    await stack.db.collection('cases').updateOne({ _id: id }, { $set: { 'timeline.1.text': 'Did not call the customer.' } });
    const broken = await jsonOf(await stack.http(`/v1/cases/${id}/timeline?verify=true`));
    // Sealed with hash version 2 (the default), the edited text no longer matches its commitment; version 1 says its hash.
    expect(broken.verification).toMatchObject({ intact: false, brokenAt: { seq: 2, reason: expect.stringMatching(/personal data does not match its commitment|content does not match its hash/) } });
    expect((await jsonOf(await stack.http(`/v1/cases/${id}/timeline`))).verification).toBeUndefined();
  });

  it('filters cases by account, status, severity, period and breach, with cursor pagination', async () => {
    const list = async (q: string) => (await jsonOf(await stack.http(`/v1/cases?accountId=acme&${q}`))).items.map((c: { subject: string }) => c.subject);
    await stack.http('/v1/cases', { json: inquiry({ subject: 'Old one', receivedAt: '2026-10-01T10:00:00.000Z', severity: 'low' }) });
    expect(await list('from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z')).toEqual(['Old one']);
    expect(await list('severity=low')).toContain('Old one');
    expect(await list('severity=low')).not.toContain('Audit me');
    expect(await list('status=resolved')).toEqual([]);
    expect(await list('breached=true')).toEqual([]);
    // The SLA service announces the breach; intake flags the case and records it, once.
    const old = (await jsonOf(await stack.http('/v1/cases?accountId=acme&severity=low&from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z'))).items[0];
    const breach = makeEnvelope(Events.SlaBreached, {
      caseId: old.id,
      accountId: 'acme',
      clock: 'first_response' as const,
      cycle: 1,
      severity: 'low' as const,
      goal: { clause: 'low: first response', policyId: 'default', policyVersion: 1, duration: 'PT2H', from: 'next_business_day' as const, hours: 'business' as const, calendarId: 'default', calendarVersion: 1, businessSeconds: 7200 },
      dueAt: '2026-10-02T15:00:00.000Z',
      at: '2026-10-02T15:00:00.000Z',
      elapsedBusinessSeconds: 7200,
      remainingBusinessSeconds: 0,
      overdueBusinessSeconds: 0,
    });
    await stack.bus.publish(breach);
    await stack.bus.js.publish(breach.type, new TextEncoder().encode(JSON.stringify(breach)), { msgID: `${breach.eventId}-again` });
    await waitFor(async () => (await list('breached=true')).includes('Old one'), 'the case flagged as breached');
    expect(await list('breached=true')).toEqual(['Old one']);
    await new Promise((r) => setTimeout(r, 300));
    const kinds = (await jsonOf(await stack.http(`/v1/cases/${old.id}`))).timeline.map((e: { kind: string }) => e.kind);
    expect(kinds.filter((k: string) => k === 'sla_breached')).toHaveLength(1);
    expect(await list('breached=false&limit=200')).not.toContain('Old one');
    for (const subject of ['Page a', 'Page b']) await stack.http('/v1/cases', { json: inquiry({ subject }) });
    const page = await jsonOf(await stack.http('/v1/cases?accountId=acme&limit=2'));
    const next = await jsonOf(await stack.http(`/v1/cases?accountId=acme&limit=2&cursor=${page.nextCursor}`));
    expect(next.items[0].id < page.items[1].id).toBe(true);
    expect((await stack.http('/v1/cases?breached=maybe')).status).toBe(400);
  });
});
