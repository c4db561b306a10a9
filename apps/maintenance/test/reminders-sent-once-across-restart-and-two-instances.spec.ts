import { Events, WindowReminderPayload } from '@sladesk/contracts';
import { waitFor } from '@sladesk/testing';
import { json, mailsTo, seedAccount, settledNotice, Stack, startStack, waitForMail } from './stack';

/**
 * Two maintenance processes share one database. Both are killed (SIGKILL) while the reminders are
 * pending and stay down until one reminder is overdue; then two fresh processes start at once and
 * compete for the same due entries. Each reminder must reach the contact exactly once.
 */
describe('reminders of a window', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('mw_reminders', { instances: 2 });
    await seedAccount(stack, 'initech', 'America/Chicago', [{ name: 'Peter', email: 'peter@initech.test' }]);
  });
  afterAll(() => stack?.stop());

  it('are each sent once after a restart, with two instances competing', async () => {
    const events: WindowReminderPayload[] = [];
    const sub = stack.bus.nc.subscribe(Events.MaintenanceReminder, { callback: (_e, m) => void events.push(m.json<{ payload: WindowReminderPayload }>().payload) });
    const start = Date.now() + 9_000;
    const w = await json(
      await stack.http('/v1/maintenance-windows', {
        json: {
          title: 'Storage migration',
          components: ['storage'],
          impact: 'degraded',
          plannedStart: new Date(start).toISOString(),
          plannedEnd: new Date(start + 600_000).toISOString(),
          reminderOffsets: ['PT6S', 'PT4S', 'PT2S'],
        },
      }),
    );
    expect(w.reminders).toHaveLength(3);
    await waitForMail(stack, 'peter@initech.test', /Scheduled maintenance: Storage migration/);
    // Down hard before any reminder is due, and until the first one is overdue.
    await Promise.all(stack.maintenance.splice(0).map((m) => m.kill('SIGKILL')));
    expect(mailsTo(stack, 'peter@initech.test', /^Reminder/)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, Math.max(0, start - 6_000 + 500 - Date.now())));
    await Promise.all([stack.startMaintenance('maintenance-3'), stack.startMaintenance('maintenance-4')]);

    const last = await waitForMail(stack, 'peter@initech.test', /Reminder: maintenance Storage migration/, 30_000).then(() =>
      waitFor(() => mailsTo(stack, 'peter@initech.test', /^Reminder: maintenance Storage migration/).length >= 3 || null, 'three reminders', 30_000),
    );
    expect(last).toBe(true);
    const reminders = await stack.db.collection('maintenance_reminders').find({ windowId: w.id }).sort({ dueAt: 1 }).toArray();
    expect(reminders.map((r) => [r.offset, r.state])).toEqual([
      ['PT6S', 'sent'],
      ['PT4S', 'sent'],
      ['PT2S', 'sent'],
    ]);
    // Every delivery of every reminder notice has its outcome: a second send would need a second claim of a sent delivery.
    for (const r of reminders) {
      const { deliveries } = await settledNotice(stack, `ntc:${r._id}`);
      expect(deliveries.map((d: any) => [d.to, d.state, d.attempts])).toEqual([['peter@initech.test', 'sent', 1]]);
    }
    expect(mailsTo(stack, 'peter@initech.test', /^Reminder: maintenance Storage migration/)).toHaveLength(3);
    expect(new Set(events.map((e) => e.reminderId)).size).toBe(3);
    expect(events).toHaveLength(3);
    const text = mailsTo(stack, 'peter@initech.test', /^Reminder/).map((m) => m.text ?? '');
    expect(text.filter((t) => t.includes('Reminder: maintenance starts in 6 seconds.'))).toHaveLength(1);
    expect(reminders.every((r) => ['maintenance-3', 'maintenance-4'].includes(r.sentBy))).toBe(true);
    sub.unsubscribe();
  });
});
