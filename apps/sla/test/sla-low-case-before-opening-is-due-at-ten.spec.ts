import { SlaEvents } from '@sladesk/contracts';
import { slaTestEnv, until } from './support';

/** America/New_York in November 2025 is UTC−05:00. */
const et = (local: string) => new Date(`${local}-05:00`);

describe('a low-severity case: 2 business hours after the start of the next business day (default contract)', () => {
  let env: Awaited<ReturnType<typeof slaTestEnv>>;

  beforeAll(async () => {
    env = await slaTestEnv('sla_low_anchor');
    await env.startSla();
  });
  afterAll(() => env.cleanup());

  const inquiries = [
    // outside support hours: from the next opening (Monday 08:00 ET)
    { caseId: 'low-mon-0700', receivedAt: et('2025-11-17T07:00:00'), due: et('2025-11-17T10:00:00') },
    { caseId: 'low-sun-2300', receivedAt: et('2025-11-16T23:00:00'), due: et('2025-11-17T10:00:00') },
    // inside them: from the next business day's opening (Tuesday 08:00 ET)
    { caseId: 'low-mon-1000', receivedAt: et('2025-11-17T10:00:00'), due: et('2025-11-18T10:00:00') },
  ];

  it('Mon 07:00 → Mon 10:00, Sun 23:00 → Mon 10:00, Mon 10:00 → Tue 10:00, and each breach fires at or after its due time', async () => {
    for (const q of inquiries) await env.opened(q.caseId, 'acme', q.receivedAt, 'low');

    for (const q of inquiries) {
      const started = await until(
        () => env.of(q.caseId, SlaEvents.SlaClockStarted).find((s) => s.env.payload.clock === 'first_response'),
        `${q.caseId}: first-response clock started`,
      );
      expect(started.env.payload).toMatchObject({
        severity: 'low',
        dueAt: q.due.toISOString(),
        goal: { duration: 'PT2H', from: 'next_business_day', hours: 'business', calendarId: 'default-contract' },
      });

      const view = await env.bus.request('sladesk.rpc.sla.case-sla.get.v1', { caseId: q.caseId });
      expect(view.clocks.find((c) => c.clock === 'first_response')).toMatchObject({ startedAt: q.receivedAt.toISOString(), dueAt: q.due.toISOString() });

      // these inquiries are long past: their breaches are overdue and fire at once, carrying the due time
      const breach = await until(
        () => env.of(q.caseId, SlaEvents.SlaBreached).find((s) => s.env.payload.clock === 'first_response'),
        `${q.caseId}: first-response breach`,
      );
      expect(breach.env.payload).toMatchObject({ dueAt: q.due.toISOString(), at: q.due.toISOString(), remainingBusinessSeconds: 0, overdueBusinessSeconds: 0 });
      expect(Date.parse(breach.env.occurredAt)).toBeGreaterThanOrEqual(q.due.getTime());
    }
    // two inquiries from one closed period: one due time
    const dues = inquiries.map((q) => env.of(q.caseId, SlaEvents.SlaClockStarted).find((s) => s.env.payload.clock === 'first_response')!.env.payload.dueAt);
    expect(dues[0]).toBe(dues[1]);
  });
});
