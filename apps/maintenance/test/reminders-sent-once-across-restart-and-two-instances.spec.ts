import { EventEnvelope, Events, Streams, WindowReminderPayload } from '@sladesk/contracts';
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
    // What went over the wire: a relay may publish an event again (a sweep after the killed instances
    // meets a fresh write), which JetStream drops by its Nats-Msg-Id; what consumers see is the stream.
    const published: EventEnvelope<WindowReminderPayload>[] = [];
    const sub = stack.bus.nc.subscribe(Events.MaintenanceReminder, { callback: (_e, m) => void published.push(m.json<EventEnvelope<WindowReminderPayload>>()) });
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
    const stored = (await waitFor(async () => {
      const all = await storedReminders(stack);
      return all.length >= 3 ? all : null;
    }, 'three reminder events in the stream'))!;
    expect(stored).toHaveLength(3);
    expect(new Set(stored.map((e) => e.payload.reminderId))).toEqual(new Set(reminders.map((r) => String(r._id))));
    // Each reminder was one event: a copy on the wire is the same event (same id), never a second one.
    for (const r of reminders) expect(new Set(published.filter((e) => e.payload.reminderId === String(r._id)).map((e) => e.eventId)).size).toBe(1);
    const text = mailsTo(stack, 'peter@initech.test', /^Reminder/).map((m) => m.text ?? '');
    expect(text.filter((t) => t.includes('Reminder: maintenance starts in 6 seconds.'))).toHaveLength(1);
    expect(reminders.every((r) => ['maintenance-3', 'maintenance-4'].includes(r.sentBy))).toBe(true);
    sub.unsubscribe();
  });
});

/** The `maintenance.reminder` events in the stream, in order. */
async function storedReminders(stack: Stack): Promise<EventEnvelope<WindowReminderPayload>[]> {
  const info = await stack.bus.jsm.streams.info(Streams.Events.name, { subjects_filter: Events.MaintenanceReminder });
  const out: EventEnvelope<WindowReminderPayload>[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await stack.bus.jsm.streams.getMessage(Streams.Events.name, { seq }).catch(() => null);
    if (m?.subject === Events.MaintenanceReminder) out.push(m.json<EventEnvelope<WindowReminderPayload>>());
  }
  return out;
}
