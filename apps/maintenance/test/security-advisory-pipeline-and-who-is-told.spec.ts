import { waitFor } from '@sladesk/testing';
import { json, mailsTo, seedAccount, settledNotice, Stack, startStack, waitForMail } from './stack';

/**
 * acme subscribes to `database` and has a security contact, an Intercom user and a contact who opted
 * out; globex subscribes to `web` only; initech has no subscriptions (every component).
 */
describe('who is told, and the security patch pipeline', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('mw_advisories');
    await seedAccount(stack, 'acme', 'America/New_York', [
      { name: 'Ada', email: 'ada@acme.test' },
      { name: 'Oscar', email: 'oscar@acme.test' },
    ]);
    await seedAccount(stack, 'globex', 'Europe/Berlin', [{ name: 'Hank', email: 'hank@globex.test' }]);
    await seedAccount(stack, 'initech', 'America/Chicago', [{ name: 'Peter', email: 'peter@initech.test' }]);
    const prefs = await stack.http('/v1/accounts/acme/notice-preferences', {
      method: 'PUT',
      json: { subscriptions: ['database'], contacts: [{ email: 'sec@acme.test', name: 'Acme Security', security: true, receivesNotices: false }, { email: 'ada@acme.test', intercomUserId: 'ic-ada' }] },
    });
    expect(prefs.status).toBe(200);
    expect((await json(prefs)).contacts).toEqual(
      expect.arrayContaining([expect.objectContaining({ email: 'sec@acme.test', security: true, receivesNotices: false, source: 'preferences' })]),
    );
    await stack.http('/v1/accounts/globex/notice-preferences', { method: 'PUT', json: { subscriptions: ['web'] } });
  });
  afterAll(() => stack?.stop());

  it('honours a signed opt-out for non-security notices, and only subscribers hear of their components', async () => {
    const first = await json(
      await stack.http('/v1/maintenance-windows', {
        json: { title: 'Database failover test', components: ['database'], impact: 'none', audience: 'subscribers', plannedStart: '2031-05-01T10:00:00Z', plannedEnd: '2031-05-01T11:00:00Z', reminderOffsets: [] },
      }),
    );
    const mail = await waitForMail(stack, 'oscar@acme.test', /Scheduled maintenance: Database failover test/);
    const link = /(http:\/\/\S+\/v1\/notice-opt-out\?token=\S+)/.exec(mail.text ?? '')![1];
    const { deliveries } = await settledNotice(stack, `ntc:${first.id}:scheduled:v1`);
    // acme (database) and initech (everything); not globex (web only); not the security-only mailbox.
    expect(deliveries.map((d: any) => `${d.channel}:${d.to}`).sort()).toEqual(['email:ada@acme.test', 'email:oscar@acme.test', 'email:peter@initech.test', 'intercom:ic-ada']);
    const intercom = (await waitFor(() => stack.intercom.requests.find((r) => r.body?.to?.id === 'ic-ada'), 'the Intercom message'))!;
    expect(intercom).toMatchObject({ method: 'POST', path: '/messages', body: { message_type: 'inapp', from: { type: 'admin', id: 'admin-7' } } });
    expect(intercom.headers.authorization).toBe('Bearer intercom-token');
    expect(intercom.body.body).toContain('Database failover test');

    // The link works without an API key; a tampered one is refused.
    expect((await stack.http(link.replace(stack.url, '').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), { key: null })).status).toBe(403);
    const out = await stack.http(link.replace(stack.url, ''), { key: null });
    expect(out.status).toBe(200);
    expect(await out.text()).toContain('oscar@acme.test will no longer receive');

    const second = await json(
      await stack.http('/v1/maintenance-windows', {
        json: { title: 'Web tier patching', components: ['web', 'database'], impact: 'degraded', plannedStart: '2031-05-02T10:00:00Z', plannedEnd: '2031-05-02T11:00:00Z', reminderOffsets: [] },
      }),
    );
    const again = await settledNotice(stack, `ntc:${second.id}:scheduled:v1`);
    expect(again.deliveries.map((d: any) => `${d.channel}:${d.to}`).sort()).toEqual(['email:ada@acme.test', 'email:hank@globex.test', 'email:peter@initech.test', 'intercom:ic-ada']);
    expect(mailsTo(stack, 'oscar@acme.test', /Web tier patching/)).toHaveLength(0);

    const web = await json(
      await stack.http('/v1/maintenance-windows', {
        json: { title: 'CDN change', components: ['web'], impact: 'none', audience: 'subscribers', plannedStart: '2031-05-03T10:00:00Z', plannedEnd: '2031-05-03T11:00:00Z', reminderOffsets: [] },
      }),
    );
    const cdn = await settledNotice(stack, `ntc:${web.id}:scheduled:v1`);
    expect(cdn.deliveries.map((d: any) => d.to).sort()).toEqual(['hank@globex.test', 'peter@initech.test']);
  });

  it('announces a security patch with its workaround, refuses release before validation, and notifies the release', async () => {
    const res = await stack.http('/v1/advisories', {
      json: {
        kind: 'security_patch',
        severity: 'high',
        title: 'SQL injection in report filters',
        summary: 'A crafted filter value can read other tenants’ rows.',
        affects: [{ component: 'database', versions: '>=2.0.0 <2.4.3', fixedIn: '2.4.3' }],
        workaround: 'Disable custom report filters in Settings → Reports.',
        cves: ['CVE-2031-12345'],
        by: 'sec-sam',
      },
    });
    expect(res.status).toBe(201);
    const adv = await json(res);
    expect(adv).toMatchObject({ stage: 'draft', announcedAt: expect.any(String) });

    // The opted-out contact and the security-only mailbox hear of security notices; globex (web) does not.
    for (const to of ['ada@acme.test', 'oscar@acme.test', 'sec@acme.test', 'peter@initech.test']) {
      const m = await waitForMail(stack, to, /Security advisory \(high\): SQL injection in report filters/);
      expect(m.text).toContain('Disable custom report filters in Settings → Reports.');
      expect(m.text).toContain('database >=2.0.0 <2.4.3 (fixed in 2.4.3)');
    }
    const announced = await settledNotice(stack, `ntc:${adv.id}:announced`);
    expect(announced.deliveries.some((d: any) => d.to === 'hank@globex.test')).toBe(false);

    const early = await stack.http(`/v1/advisories/${adv.id}/release`, { json: { by: 'sec-sam', version: '2.4.3' } });
    expect(early.status).toBe(409);
    expect(await json(early)).toMatchObject({ code: 'ADVISORY.NOT_VALIDATED', details: { stage: 'draft' } });
    const validateFirst = await stack.http(`/v1/advisories/${adv.id}/validate`, { json: { by: 'qa-quinn' } });
    expect((await json(validateFirst)).code).toBe('ADVISORY.NOT_TESTED');

    const tested = await json(await stack.http(`/v1/advisories/${adv.id}/test`, { json: { by: 'ops-olga', environment: 'staging-2', version: '2.4.3-rc.1', notes: 'Patch applied', links: ['https://ci.vendor.test/run/881'] } }));
    expect(tested.stage).toBe('applied');
    expect((await json(await stack.http(`/v1/advisories/${adv.id}/release`, { json: { by: 'sec-sam', version: '2.4.3' } }))).code).toBe('ADVISORY.NOT_VALIDATED');
    const validated = await json(await stack.http(`/v1/advisories/${adv.id}/validate`, { json: { by: 'qa-quinn', notes: 'Regression suite green' } }));
    expect(validated.stage).toBe('validated');
    const released = await json(await stack.http(`/v1/advisories/${adv.id}/release`, { json: { by: 'sec-sam', version: '2.4.3' } }));
    expect(released).toMatchObject({ stage: 'released', releasedVersion: '2.4.3' });
    expect(released.evidence.map((e: any) => [e.stage, e.by])).toEqual([
      ['draft', 'sec-sam'],
      ['announced', 'sec-sam'],
      ['applied', 'ops-olga'],
      ['validated', 'qa-quinn'],
      ['released', 'sec-sam'],
    ]);
    expect(released.evidence[3]).toMatchObject({ environment: 'staging-2', version: '2.4.3-rc.1', result: 'passed' });

    const m = await waitForMail(stack, 'oscar@acme.test', /Security patch released: SQL injection in report filters \(2\.4\.3\)/);
    expect(m.text).toContain('Disable custom report filters');
    expect(m.text).toContain('Validated on staging-2 (version 2.4.3-rc.1) before release.');
    expect((await json(await stack.http(`/v1/advisories/${adv.id}/release`, { json: { by: 'sec-sam', version: '2.4.4' } }))).code).toBe('ADVISORY.ALREADY_RELEASED');
    expect((await json(await stack.http(`/v1/advisories/${adv.id}/announce`, { json: {} }))).code).toBe('ADVISORY.ALREADY_RELEASED');
  });

  it('tells subscribers of an update only at release, and refuses a bad version range', async () => {
    const bad = await stack.http('/v1/advisories', { json: { kind: 'update', severity: 'info', title: 'x', summary: '', affects: [{ component: 'web', versions: 'not a range' }] } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).code).toBe('ADVISORY.INVALID_VERSION_RANGE');
    const upd = await json(
      await stack.http('/v1/advisories', { json: { kind: 'documentation', severity: 'info', title: 'New API guide', summary: 'Pagination explained.', affects: [{ component: 'web', versions: '*' }] } }),
    );
    expect(upd.announcedAt).toBeUndefined();
    await stack.http(`/v1/advisories/${upd.id}/test`, { json: { by: 'docs-dana', environment: 'docs-preview', version: '2031.05' } });
    await stack.http(`/v1/advisories/${upd.id}/validate`, { json: { by: 'docs-dana' } });
    await stack.http(`/v1/advisories/${upd.id}/release`, { json: { by: 'docs-dana', version: '2031.05' } });
    const { deliveries } = await settledNotice(stack, `ntc:${upd.id}:released`);
    expect(deliveries.map((d: any) => d.to).sort()).toEqual(['hank@globex.test', 'peter@initech.test']);
    const notices = (await json(await stack.http(`/v1/notices?advisoryId=${upd.id}`))).items;
    expect(notices.map((n: any) => n.kind)).toEqual(['advisory.released']);
  });
});
