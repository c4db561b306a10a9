import { Events, WindowCompletedPayload } from '@sladesk/contracts';
import { waitFor } from '@sladesk/testing';
import { json, mailsTo, seedAccount, settledNotice, Stack, startStack, waitForMail } from './stack';

describe('a maintenance window through its lifecycle', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('mw_lifecycle');
    await seedAccount(stack, 'acme', 'America/New_York', [{ name: 'Ada', email: 'ada@acme.test' }]);
    await seedAccount(stack, 'globex', 'Europe/Berlin', [{ name: 'Hank', email: 'hank@globex.test' }]);
  });
  afterAll(() => stack?.stop());

  it('tells every account when it is scheduled, started and completed, in each account’s time zone, and publishes the actual times', async () => {
    const completed: WindowCompletedPayload[] = [];
    const sub = stack.bus.nc.subscribe(Events.MaintenanceCompleted, { callback: (_e, m) => void completed.push(m.json<{ payload: WindowCompletedPayload }>().payload) });

    const res = await stack.http('/v1/maintenance-windows', {
      json: { title: 'Database upgrade', components: ['database'], impact: 'degraded', plannedStart: '2031-03-11T06:00:00Z', plannedEnd: '2031-03-11T08:00:00Z', reminderOffsets: [] },
    });
    expect(res.status).toBe(201);
    const w = await json(res);
    expect(w).toMatchObject({ state: 'scheduled', version: 1, audience: 'all', reminders: [] });

    const ny = await waitForMail(stack, 'ada@acme.test', /Scheduled maintenance: Database upgrade/);
    const berlin = await waitForMail(stack, 'hank@globex.test', /Scheduled maintenance: Database upgrade/);
    expect(ny.text).toContain('Tue, Mar 11, 2031, 02:00 EDT to Tue, Mar 11, 2031, 04:00 EDT (America/New_York)');
    expect(berlin.text).toContain('Tue, Mar 11, 2031, 07:00 GMT+1 to Tue, Mar 11, 2031, 09:00 GMT+1 (Europe/Berlin)');
    expect(ny.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toMatch(/notice-opt-out\?token=/);

    expect((await stack.http(`/v1/maintenance-windows/${w.id}/complete`, { json: {} })).status).toBe(409);
    const started = await json(await stack.http(`/v1/maintenance-windows/${w.id}/start`, { json: { at: '2031-03-11T06:05:00Z', by: 'ops-olga' } }));
    expect(started).toMatchObject({ state: 'in_progress', actualStart: '2031-03-11T06:05:00.000Z' });
    await waitForMail(stack, 'ada@acme.test', /Maintenance in progress: Database upgrade/);

    const done = await json(await stack.http(`/v1/maintenance-windows/${w.id}/complete`, { json: { at: '2031-03-11T07:10:00Z' } }));
    expect(done).toMatchObject({ state: 'completed', actualEnd: '2031-03-11T07:10:00.000Z' });
    expect(done.history.map((h: any) => h.action)).toEqual(['scheduled', 'started', 'completed']);
    const mail = await waitForMail(stack, 'hank@globex.test', /Maintenance completed: Database upgrade/);
    expect(mail.text).toContain('Started: Tue, Mar 11, 2031, 07:05 GMT+1');
    await waitFor(() => completed.length > 0, 'maintenance.completed');
    expect(completed[0]).toMatchObject({ windowId: w.id, components: ['database'], actualStart: '2031-03-11T06:05:00.000Z', actualEnd: '2031-03-11T07:10:00.000Z' });
    sub.unsubscribe();

    // Every refused transition has its code; nothing already recorded changes.
    const again = await stack.http(`/v1/maintenance-windows/${w.id}/cancel`, { json: {} });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: 'MAINTENANCE_WINDOW.INVALID_TRANSITION', details: { state: 'completed', action: 'cancel' } });

    // The notices log: three notices, each delivered to both contacts.
    const notices = (await json(await stack.http(`/v1/notices?windowId=${w.id}`))).items;
    expect(notices.map((n: any) => n.kind).sort()).toEqual(['window.completed', 'window.scheduled', 'window.started']);
    for (const n of notices) {
      const { deliveries } = await settledNotice(stack, n.id);
      expect(deliveries.map((d: any) => [d.to, d.channel, d.state]).sort()).toEqual([
        ['ada@acme.test', 'email', 'sent'],
        ['hank@globex.test', 'email', 'sent'],
      ]);
    }
    expect(mailsTo(stack, 'ada@acme.test', /Database upgrade/)).toHaveLength(3);
  });

  it('re-notifies a rescheduled window with both times and moves its reminders; a cancelled one is told and reminds no more', async () => {
    const start = Date.now() + 3 * 3_600_000;
    const w = await json(
      await stack.http('/v1/maintenance-windows', {
        json: { title: 'Network maintenance', components: ['network'], impact: 'outage', plannedStart: new Date(start).toISOString(), plannedEnd: new Date(start + 3_600_000).toISOString() },
      }),
    );
    expect(w.reminders.map((r: any) => r.offset)).toEqual(['PT1H']); // 72 h and 24 h are already past
    const moved = await json(
      await stack.http(`/v1/maintenance-windows/${w.id}/reschedule`, {
        json: { plannedStart: '2031-11-02T05:30:00Z', plannedEnd: '2031-11-02T07:00:00Z', reason: 'Vendor asked for a later date' },
      }),
    );
    expect(moved).toMatchObject({ version: 2, plannedStart: '2031-11-02T05:30:00.000Z' });
    expect(moved.reminders.map((r: any) => [r.offset, r.dueAt, r.state])).toEqual([
      ['PT72H', '2031-10-30T05:30:00.000Z', 'pending'],
      ['PT24H', '2031-11-01T05:30:00.000Z', 'pending'],
      ['PT1H', '2031-11-02T04:30:00.000Z', 'pending'],
    ]);
    const mail = await waitForMail(stack, 'ada@acme.test', /Maintenance rescheduled: Network maintenance/);
    expect(mail.text).toContain(`Was: `);
    expect(mail.text).toContain('Now: Sun, Nov 2, 2031, 01:30 EDT to Sun, Nov 2, 2031, 02:00 EST (America/New_York)');
    expect(mail.text).toContain('Why: Vendor asked for a later date');
    const reminders = await stack.db.collection('maintenance_reminders').find({ windowId: w.id }).toArray();
    expect(reminders.find((r) => String(r._id) === `${w.id}:PT1H:1`)?.state).toBe('superseded');

    const cancelled = await json(await stack.http(`/v1/maintenance-windows/${w.id}/cancel`, { json: { reason: 'No longer needed' } }));
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.reminders.every((r: any) => r.state === 'cancelled')).toBe(true);
    await waitForMail(stack, 'hank@globex.test', /Maintenance cancelled: Network maintenance/);
    expect((await stack.http(`/v1/maintenance-windows/${w.id}/reschedule`, { json: { plannedStart: '2031-12-01T00:00:00Z', plannedEnd: '2031-12-01T01:00:00Z' } })).status).toBe(409);
  });

  it('refuses bad input with clear codes', async () => {
    const bad = await stack.http('/v1/maintenance-windows', { json: { title: 'x', components: [], impact: 'sometimes' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).code).toBe('VALIDATION.FAILED');
    const backwards = await stack.http('/v1/maintenance-windows', { json: { title: 'x', components: ['api'], impact: 'none', plannedStart: '2031-01-02T00:00:00Z', plannedEnd: '2031-01-01T00:00:00Z' } });
    expect(await json(backwards)).toMatchObject({ code: 'MAINTENANCE_WINDOW.INVALID_TIMES' });
    expect(backwards.status).toBe(400);
    const missing = await stack.http('/v1/maintenance-windows/mw_nope');
    expect(missing.status).toBe(404);
    expect((await json(missing)).code).toBe('MAINTENANCE_WINDOW.NOT_FOUND');
    expect((await stack.http('/v1/maintenance-windows?cursor=bogus')).status).toBe(400);
  });
});
