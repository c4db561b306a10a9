import { Events, WindowPayload } from '@sladesk/contracts';
import { waitFor } from '@sladesk/testing';
import { json, Stack, startStack } from './stack';

const DAY = 86_400_000;

/**
 * An open-ended rule (no COUNT, no UNTIL) is made only up to the horizon; a scheduled job rolls the
 * horizon forward. A daily rule with a 30-day horizon and 8 occurrences per expansion gets 8 at once;
 * the job, run by two instances at once, makes the rest in steps of 8: every day once, numbered without
 * gaps, one `maintenance.scheduled` event each.
 */
describe('an open-ended recurring window', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('mw_series', {
      instances: 2,
      env: { SLADESK_RECURRENCE_HORIZON_DAYS: '30', SLADESK_RECURRENCE_BATCH: '8', SLADESK_RECURRENCE_EXTEND_MS: '1000' },
    });
  });
  afterAll(() => stack?.stop());

  it('gets its occurrences up to the rolling horizon, each once, with two instances extending it', async () => {
    const events: WindowPayload[] = [];
    const sub = stack.bus.nc.subscribe(Events.MaintenanceScheduled, { callback: (_e, m) => void events.push(m.json<{ payload: WindowPayload }>().payload) });
    const first = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    const res = await stack.http('/v1/maintenance-windows', {
      json: {
        title: 'Nightly index rebuild',
        components: ['search'],
        impact: 'none',
        reminderOffsets: [],
        recurrence: { rrule: 'FREQ=DAILY', timeZone: 'UTC', start: `${first}T02:00`, end: `${first}T02:30` },
      },
    });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created.occurrences).toHaveLength(8);
    const seriesId = created.series.id;
    const horizon = Date.now() + 30 * DAY;
    const expected = Math.floor((horizon - Date.parse(`${first}T02:00:00Z`)) / DAY) + 1;

    const series = (await waitFor(
      async () => {
        const s = await stack.db.collection('maintenance_series').findOne({ _id: seriesId as never });
        return s && s.occurrences >= expected ? s : null;
      },
      'the series to reach its horizon',
      60_000,
      250,
    ))!;
    const windows = await stack.db.collection('maintenance_windows').find({ 'series.id': seriesId }, { projection: { outbox: 0 } }).toArray();
    windows.sort((a, b) => a.series.occurrence - b.series.occurrence);
    expect(windows).toHaveLength(series.occurrences);
    expect(windows.map((w) => w.series.occurrence)).toEqual(windows.map((_w, i) => i + 1));
    expect(windows.map((w) => w.plannedStart.getTime())).toEqual(windows.map((_w, i) => Date.parse(`${first}T02:00:00Z`) + i * DAY));
    expect(windows.every((w) => w.plannedEnd.getTime() - w.plannedStart.getTime() === 1_800_000)).toBe(true);
    expect(series.generatedUntil.getTime()).toBeGreaterThanOrEqual(windows[windows.length - 1].plannedStart.getTime());

    // The job keeps running on both instances; nothing more is made until time moves the horizon.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await stack.db.collection('maintenance_windows').countDocuments({ 'series.id': seriesId })).toBe(windows.length);
    await waitFor(() => (events.filter((e) => e.seriesId === seriesId).length >= windows.length ? true : null), 'every scheduled event', 30_000);
    const ofSeries = events.filter((e) => e.seriesId === seriesId);
    expect(new Set(ofSeries.map((e) => e.windowId)).size).toBe(windows.length);
    expect(ofSeries).toHaveLength(windows.length);
    sub.unsubscribe();

    // The list API shows the rolled-forward ones too.
    const page = await json(await stack.http(`/v1/maintenance-windows?seriesId=${seriesId}&limit=200&from=${new Date(Date.parse(`${first}T00:00:00Z`) + 8 * DAY).toISOString()}`));
    expect(page.items[0].series.occurrence).toBe(9);
    expect(page.items.length).toBe(windows.length - 8);
  });
});
