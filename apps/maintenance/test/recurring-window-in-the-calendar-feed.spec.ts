import { DeliveryOutcomePayload, DeliveryOutcomesPayload, Events } from '@sladesk/contracts';
import { waitFor } from '@sladesk/testing';
import ical from 'node-ical';
import { json, seedAccount, settledNotice, Stack, startStack } from './stack';

describe('a recurring window and the calendar feed', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('mw_calendar');
    await seedAccount(stack, 'acme', 'America/New_York', [{ name: 'Ada', email: 'ada@acme.test' }]);
  });
  afterAll(() => stack?.stop());

  it('makes every occurrence of “every second Tuesday 02:00–04:00 New York” its own window, at 02:00 local across both DST changes', async () => {
    const res = await stack.http('/v1/maintenance-windows', {
      json: {
        title: 'Monthly patching',
        components: ['api'],
        impact: 'degraded',
        reminderOffsets: [],
        recurrence: { rrule: 'FREQ=MONTHLY;BYDAY=2TU;COUNT=12', timeZone: 'America/New_York', start: '2031-01-14T02:00', end: '2031-01-14T04:00', exceptions: ['2031-06-10T02:00'] },
      },
      headers: { 'idempotency-key': 'monthly-patching-2031' },
    });
    const first = await json(res);
    expect([res.status, first.code, JSON.stringify(first.details)]).toEqual([201, undefined, undefined]);
    expect(first.series).toMatchObject({ rrule: 'FREQ=MONTHLY;BYDAY=2TU;COUNT=12', timeZone: 'America/New_York', occurrence: 1 });
    const starts = first.occurrences.map((o: any) => o.plannedStart);
    expect(starts).toHaveLength(11); // June is an exception
    expect(starts.slice(1, 3)).toEqual(['2031-02-11T07:00:00.000Z', '2031-03-11T06:00:00.000Z']); // EST, then EDT (from March 9)
    expect(starts).toContain('2031-10-14T06:00:00.000Z');
    expect(starts).toContain('2031-11-11T07:00:00.000Z'); // EST again (from November 2)
    expect(starts.some((s: string) => s.startsWith('2031-06-'))).toBe(false);
    for (const o of first.occurrences) expect(Date.parse(o.plannedEnd) - Date.parse(o.plannedStart)).toBe(2 * 3_600_000);

    // A retry with the same key returns the same series; each occurrence was announced once.
    const body = {
      title: 'Monthly patching',
      components: ['api'],
      impact: 'degraded',
      reminderOffsets: [],
      recurrence: { rrule: 'FREQ=MONTHLY;BYDAY=2TU;COUNT=12', timeZone: 'America/New_York', start: '2031-01-14T02:00', end: '2031-01-14T04:00', exceptions: ['2031-06-10T02:00'] },
    };
    const retry = await json(await stack.http('/v1/maintenance-windows', { json: body, headers: { 'idempotency-key': 'monthly-patching-2031' } }));
    expect(retry.series.id).toBe(first.series.id);
    const reused = await stack.http('/v1/maintenance-windows', { json: { ...body, title: 'Other' }, headers: { 'idempotency-key': 'monthly-patching-2031' } });
    expect((await json(reused)).code).toBe('IDEMPOTENCY.KEY_REUSED');
    const page = await json(await stack.http(`/v1/maintenance-windows?seriesId=${first.series.id}&limit=5`));
    expect(page.items).toHaveLength(5);
    const rest = await json(await stack.http(`/v1/maintenance-windows?seriesId=${first.series.id}&limit=50&cursor=${page.nextCursor}`));
    expect([...page.items, ...rest.items].map((w: any) => w.plannedStart)).toEqual(starts);
    await settledNotice(stack, `ntc:${first.occurrences[10].id}:scheduled:v1`);
  });

  it('serves an iCalendar feed an iCalendar parser reads back, with reschedules and cancellations', async () => {
    const w = await json(
      await stack.http('/v1/maintenance-windows', {
        json: { title: 'Datacenter power test', components: ['power'], impact: 'outage', plannedStart: '2031-04-01T03:00:00Z', plannedEnd: '2031-04-01T05:00:00Z', reminderOffsets: [] },
      }),
    );
    await stack.http(`/v1/maintenance-windows/${w.id}/reschedule`, { json: { plannedStart: '2031-04-08T03:00:00Z', plannedEnd: '2031-04-08T05:30:00Z' } });
    const c = await json(
      await stack.http('/v1/maintenance-windows', {
        json: { title: 'Cancelled one', components: ['power'], impact: 'none', plannedStart: '2031-04-02T03:00:00Z', plannedEnd: '2031-04-02T04:00:00Z', reminderOffsets: [] },
      }),
    );
    await stack.http(`/v1/maintenance-windows/${c.id}/cancel`, { json: {} });

    const { calendarUrl } = await json(await stack.http('/v1/accounts/acme/notice-preferences'));
    const feed = await fetch(calendarUrl); // no API key: the signed link, as a calendar app would
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/calendar/);
    const events = Object.values(ical.sync.parseICS(await feed.text())).filter((e: any) => e.type === 'VEVENT') as any[];
    const power = events.find((e) => e.uid === `${w.id}@sladesk`);
    expect(power.start.toISOString()).toBe('2031-04-08T03:00:00.000Z');
    expect(power.end.toISOString()).toBe('2031-04-08T05:30:00.000Z');
    expect(String(power.sequence)).toBe('1');
    expect(power.summary).toBe('Maintenance: Datacenter power test');
    expect(events.find((e) => e.uid === `${c.id}@sladesk`).status).toBe('CANCELLED');
    const monthly = events.filter((e) => String(e.summary).includes('Monthly patching'));
    expect(monthly).toHaveLength(11);
    expect(monthly.map((e) => e.start.toISOString())).toContain('2031-03-11T06:00:00.000Z');

    expect((await fetch(calendarUrl.replace(/token=[^&]+/, 'token=forged'))).status).toBe(403);
    expect((await fetch(`${stack.url}/v1/maintenance-windows.ics`)).status).toBe(403);
    const staff = await stack.http('/v1/maintenance-windows.ics');
    expect(staff.status).toBe(200);
  });

  it('retries a delivery the mail server refused for now, and records every outcome as an event', async () => {
    const outcomes: DeliveryOutcomePayload[] = [];
    const subs = [Events.DeliverySent, Events.DeliveryFailed].map((s) =>
      stack.bus.nc.subscribe(s, { callback: (_e, m) => void outcomes.push(m.json<{ payload: DeliveryOutcomePayload }>().payload) }),
    );
    // The first attempt is a fan-out's (a pack's): announced with its part's other outcomes, in one event.
    subs.push(
      stack.bus.nc.subscribe(Events.DeliveryOutcomes, {
        callback: (_e, m) => {
          const { outcomes: items, packId: _pack, refs, ...notice } = m.json<{ payload: DeliveryOutcomesPayload }>().payload;
          for (const { eventId: _id, outcome: _o, ...o } of items) outcomes.push({ ...notice, ...o, refs: o.refs ?? refs });
        },
      }),
    );
    // Everything sent so far has its outcome, so the two refusals hit this notice's delivery.
    await waitFor(async () => (await stack.db.collection('maintenance_notices').countDocuments({ state: { $ne: 'done' } })) === 0, 'earlier notices fanned out');
    for (const n of (await json(await stack.http('/v1/notices?limit=200'))).items) await settledNotice(stack, n.id);
    stack.smtp.failNext(2);
    const w = await json(
      await stack.http('/v1/maintenance-windows', {
        json: { title: 'Retry me', components: ['retry'], impact: 'none', plannedStart: '2031-07-01T00:00:00Z', plannedEnd: '2031-07-01T01:00:00Z', reminderOffsets: [] },
      }),
    );
    const { deliveries } = await settledNotice(stack, `ntc:${w.id}:scheduled:v1`);
    expect(deliveries).toEqual([expect.objectContaining({ to: 'ada@acme.test', state: 'sent', attempts: 3 })]);
    await waitFor(() => outcomes.filter((o) => o.noticeId === `ntc:${w.id}:scheduled:v1`).length >= 3, 'three outcome events');
    const mine = outcomes.filter((o) => o.noticeId === `ntc:${w.id}:scheduled:v1`).sort((a, b) => a.attempts - b.attempts);
    expect(mine.map((o) => [o.attempts, o.final ?? null, o.error ? 'error' : 'ok'])).toEqual([
      [1, false, 'error'],
      [2, false, 'error'],
      [3, null, 'ok'],
    ]);
    expect(mine[2]).toMatchObject({ source: 'maintenance', topic: 'window.scheduled', channel: 'email', accountId: 'acme', refs: { windowId: w.id } });
    subs.forEach((s) => s.unsubscribe());
  });
});
