import { DeliveryOutcomesPayload, Events } from '@sladesk/contracts';
import { waitFor } from '@sladesk/testing';
import { json, Stack, startStack } from './stack';

/**
 * A notice to 600 accounts is fanned out as packs (one document per page of 250 accounts). The only
 * maintenance process is SIGKILLed while it is sending, with outcomes unrecorded; a fresh one takes the
 * packs over when their lease ends. Every contact gets the notice, none more than twice (at most one
 * resend after the crash, only of what was sent and not yet recorded: at most a part of 100 outcomes
 * and what was in flight); the notices log lists every delivery once, sent; every delivery is
 * announced `sent` in an `outbound.outcomes` event (one per recorded part, not one per delivery).
 */
describe('a packed fan-out killed mid-send', () => {
  let stack: Stack;
  const ACCOUNTS = 600;
  beforeAll(async () => {
    // One connection, four in flight: slow enough that the kill lands inside a pack.
    stack = await startStack('mw_pack_kill', { env: { SLADESK_OUTBOUND_SMTP_CONNECTIONS: '1', SLADESK_OUTBOUND_CONCURRENCY: '4' } });
    // Straight into maintenance's projection (the shape intake's account events give it): how accounts arrive is not the point.
    const docs = Array.from({ length: ACCOUNTS }, (_x, i) => ({
      _id: `acct-${String(i).padStart(4, '0')}`,
      name: `ACCOUNT-${i}`,
      timeZone: 'UTC',
      contacts: [{ name: `Contact ${i}`, email: `contact-${i}@account-${i}.test` }],
      version: 1,
      subscriptions: ['database'],
    }));
    await stack.db.collection('maintenance_accounts').insertMany(docs as never[]);
  });
  afterAll(() => stack?.stop());

  const deliveryIdOf = (m: { headers: Map<string, unknown> }) => String(m.headers.get('x-sladesk-delivery-id'));

  it('reaches every contact, at most twice, and records and announces every delivery once', async () => {
    const sent: { noticeId: string; deliveryId: string }[] = [];
    let batches = 0;
    const sub = stack.bus.nc.subscribe(Events.DeliveryOutcomes, {
      callback: (_e, m) => {
        const p = m.json<{ payload: DeliveryOutcomesPayload }>().payload;
        batches += 1;
        for (const o of p.outcomes) if (o.outcome === 'sent') sent.push({ noticeId: p.noticeId, deliveryId: o.deliveryId });
      },
    });
    const w = await json(
      await stack.http('/v1/maintenance-windows', {
        json: { title: 'Database upgrade', components: ['database'], impact: 'degraded', audience: 'subscribers', plannedStart: '2031-03-11T06:00:00Z', plannedEnd: '2031-03-11T08:00:00Z', reminderOffsets: [] },
      }),
    );
    const noticeId = `ntc:${w.id}:scheduled:v1`;
    const mine = () => stack.smtp.messages.filter((m) => m.headers.get('x-sladesk-notice-id') === noticeId);
    // Past the first recorded part (100 outcomes) of the first pack, inside the run.
    await waitFor(() => mine().length >= 250 || null, 'the first messages', 30_000);
    await Promise.all(stack.maintenance.splice(0).map((m) => m.kill('SIGKILL')));
    await new Promise((r) => setTimeout(r, 300));
    const beforeKill = mine().length;
    expect(beforeKill).toBeLessThan(ACCOUNTS);
    expect(await stack.db.collection('outbound_packs').countDocuments({ noticeId })).toBeGreaterThan(0);
    await stack.startMaintenance('maintenance-2');

    await waitFor(() => new Set(mine().map(deliveryIdOf)).size === ACCOUNTS || null, 'every contact told', 60_000);
    // The notices log: every delivery once, sent (states derived from the packs' round records).
    const log = await waitFor(async () => {
      const items: { id: string; state: string; to: string }[] = [];
      for (let cursor: string | undefined; ; ) {
        const page = await json(await stack.http(`/v1/notices/${encodeURIComponent(noticeId)}/deliveries?limit=200${cursor ? `&cursor=${cursor}` : ''}`));
        items.push(...page.items);
        if (!page.nextCursor) break;
        cursor = encodeURIComponent(page.nextCursor);
      }
      return items.length === ACCOUNTS && items.every((d) => d.state === 'sent') ? items : null;
    }, 'every delivery recorded sent', 30_000);
    expect(new Set(log!.map((d) => d.id)).size).toBe(ACCOUNTS);
    expect((await json(await stack.http(`/v1/notices/${encodeURIComponent(noticeId)}`))).deliveries).toBe(ACCOUNTS);
    await waitFor(() => new Set(sent.filter((p) => p.noticeId === noticeId).map((p) => p.deliveryId)).size === ACCOUNTS || null, 'every outcome event', 30_000);
    sub.unsubscribe();
    // One event per recorded part (≤ 100 outcomes): 600 deliveries in a handful of events, not 600.
    expect(batches).toBeLessThanOrEqual(30);

    await new Promise((r) => setTimeout(r, 1000));
    const perId = new Map<string, number>();
    for (const m of mine()) perId.set(deliveryIdOf(m), (perId.get(deliveryIdOf(m)) ?? 0) + 1);
    expect(Math.max(...perId.values())).toBeLessThanOrEqual(2);
    // Only what went out before the kill and was not recorded yet can have gone out again: at most a
    // part of outcomes (100) and what was in flight (4).
    expect(mine().length - ACCOUNTS).toBeLessThanOrEqual(Math.min(beforeKill, 104));
    console.log(`sent before the kill ${beforeKill}, received ${mine().length} for ${ACCOUNTS} contacts`);
    // The fresh process took at least one pack over from the killed one (a second round).
    expect(await stack.db.collection('outbound_pack_leases').countDocuments({ noticeId, round: { $gte: 1 } })).toBeGreaterThan(0);
    // Nothing is left to do: no part of any round still owes its events.
    expect(await stack.db.collection('outbound_pack_outcomes').countDocuments({ eventsPending: true })).toBe(0);
  });
});
