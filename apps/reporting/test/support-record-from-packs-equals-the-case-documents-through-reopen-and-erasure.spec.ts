import 'reflect-metadata';
import { EventEnvelope, Events, RenderedReport, Rpc } from '@sladesk/contracts';
import { testMongoUrl, waitFor } from '@sladesk/testing';
import { parse } from 'csv-parse/sync';
import { RmCaseEntrySchema } from '../src/read-models/read-model.schemas';
import { decodePack, PackDoc } from '../src/record-packs/pack-format';
import { renderCsv } from '../src/render/csv';
import { MemorySink } from '../src/render/streams';
import { periodInstants } from '../src/reports/period';
import { Row } from '../src/reports/report-doc';
import { CaseDoc, SUPPORT_RECORD_COLUMNS, SupportRecordRows } from '../src/reports/support-record-rows';
import { entries, ev, marchFixture, openedEntry, opened, projected, publishAll, reopened, ReportingRig, resolved, shuffled, slaMet, step } from './fixtures';
const A = 'acme';
const G = 'globex';
const HUGE = 'The whole log, pasted. '.repeat(3200); // ~74 KB: a row too big to pack

/** Cases beside March's fixture: resolved, reopened, too big, to be erased. */
function extraCases(): EventEnvelope[] {
  const c = (id: string, n: number, account: string, day: string, contact: string, description = `Problem of ${contact}.`) => [
    opened(id, n, account, 'high', `2026-03-${day}T10:00:00.000Z`),
    entries(id, account, [
      openedEntry(`2026-03-${day}T10:00:00.000Z`, contact, `${contact.split(' ')[0].toLowerCase()}@${account}.test`, `Help ${contact}`, description),
      step(2, 'response', `2026-03-${day}T11:00:00.000Z`, 'Carla CSM', `Hello ${contact.split(' ')[0]}`),
      step(3, 'resolved', `2026-03-${day}T12:00:00.000Z`, 'Tom Tier2', `Fixed for ${contact}.`),
    ]),
    slaMet(id, account, 'first_response', 'high', `2026-03-${day}T11:00:00.000Z`, 3600, true),
    resolved(id, account, `2026-03-${day}T12:00:00.000Z`, 'Tom Tier2'),
  ];
  return [
    ...c('c7', 7, A, '12', 'Grace Hopper'),
    ...c('c8', 8, A, '13', 'Huge Logger', HUGE),
    ...c('c9', 9, G, '14', 'Eve Erased'),
    ...c('c10', 10, G, '15', 'Erin Erased'),
  ];
}

describe('the support record from packs and loose cases equals the record from the case documents, through reopening and erasure', () => {
  const rig = new ReportingRig(testMongoUrl('reporting_packs'));
  let caseRows: SupportRecordRows;

  const render = async (format: 'json' | 'csv', q: object) => {
    const r = (await rig.bus.request(Rpc.ReportRender, { report: 'support-record', format, ...q })) as RenderedReport;
    if (r.kind !== 'file') throw new Error(`expected a file, got ${JSON.stringify(r)}`);
    return Buffer.from(r.data, 'base64').toString('utf8');
  };
  const jsonRows = async (q: object): Promise<Row[]> => JSON.parse(await render('json', q)).tables.cases;

  /** The record as it was made before packs: every case document of the period, rendered, sorted by receipt. */
  const fromCaseDocuments = async (period: { from: string; to: string }, accountId?: string): Promise<Row[]> => {
    const { gte, lt } = periodInstants(period);
    const docs = (await rig.db
      .collection('rm_cases')
      .find({ receivedAt: { $gte: gte, $lt: lt }, ...(accountId ? { accountId } : {}) }, { projection: { applied: 0, pending: 0, derived: 0 } })
      .toArray()) as unknown as CaseDoc[];
    const names = new Map((await rig.db.collection('rm_accounts').find().toArray()).map((a) => [String(a._id), String(a.name)]));
    const rows = await Promise.all(docs.map((d) => caseRows.row(d, names)));
    return rows.sort((a, b) => (a.received_at! < b.received_at! ? -1 : a.received_at! > b.received_at! ? 1 : Number(a.case_number) - Number(b.case_number)));
  };
  const csvOf = async (rows: Row[]) => {
    const sink = new MemorySink();
    await renderCsv({ name: 'cases', title: 'Cases', columns: SUPPORT_RECORD_COLUMNS, rows }, sink);
    return sink.buffer().toString('utf8');
  };
  /** Same rows, same CSV, for the month, one account, and a part of the month. */
  const expectSameAsCaseDocuments = async () => {
    for (const q of [{ month: '2026-03' }, { month: '2026-03', accountId: A }, { from: '2026-03-03', to: '2026-03-13' }, { month: '2026-04' }, { month: '2026-02', accountId: A }] as const) {
      const period = 'month' in q ? { from: `${q.month}-01`, to: q.month === '2026-02' ? '2026-02-28' : q.month === '2026-04' ? '2026-04-30' : '2026-03-31' } : q;
      const expected = await fromCaseDocuments(period, 'accountId' in q ? q.accountId : undefined);
      const got = await jsonRows(q);
      expect({ q, ids: got.map((r) => r.case_id) }).toEqual({ q, ids: expected.map((r) => r.case_id) });
      expect(got).toEqual(expected);
      expect(await render('csv', q)).toBe(await csvOf(expected));
    }
  };
  const packsOf = async (month: string, accountId: string) => {
    const docs = (await rig.db.collection('rm_record_packs').find({ month, accountId }).toArray()) as unknown as PackDoc[];
    const out = new Map<string, string>();
    for (const d of docs) {
      const p = await decodePack(d);
      p.ids.forEach((id, i) => {
        expect(out.has(id)).toBe(false); // a case is never in two packs
        out.set(id, p.rows[i]);
      });
    }
    return out;
  };
  const loose = async () => (await rig.db.collection('rm_record_loose').find().toArray()).map((d) => String(d._id)).sort();
  const publishAndWait = async (events: EventEnvelope[]) => {
    await publishAll(rig.bus, events, 2);
    await waitFor(() => projected(rig.bus), 'events projected', 30_000, 100);
  };

  beforeAll(async () => {
    await rig.start(shuffled([...marchFixture(), ...extraCases()]));
    caseRows = new SupportRecordRows(rig.db.model('RmCaseEntry', RmCaseEntrySchema));
  });
  afterAll(() => rig.stop());

  it('packs resolved cases, keeps open and too-big ones loose, and exports each case once with the rows of before', async () => {
    expect([...(await packsOf('2026-03', A)).keys()].sort()).toEqual(['c1', 'c3', 'c7']);
    expect([...(await packsOf('2026-03', G)).keys()].sort()).toEqual(['c10', 'c4', 'c9']);
    // c2 is open, c8's row (~74 KB) is too big to pack, c5 (April) and c6 (February) are open.
    expect(await loose()).toEqual(['c2', 'c5', 'c6', 'c8']);
    await expectSameAsCaseDocuments();
    const march = await jsonRows({ month: '2026-03' });
    expect(march.map((r) => r.case_id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c7', 'c8', 'c9', 'c10']);
    expect(march.find((r) => r.case_id === 'c8')!.description).toBe(HUGE);
    // Big exports stream in storage order (loose, then packs): still every case once.
    const csv = parse(await render('csv', { month: '2026-03' }), { columns: true, bom: true }) as Record<string, string>[];
    expect(csv.map((r) => r.case_id).sort()).toEqual(march.map((r) => String(r.case_id)).sort());
  });

  it('a reopened case leaves its packed row superseded and is exported once with its open state; resolved again, its row is packed anew', async () => {
    const before = (await packsOf('2026-03', A)).get('c7')!;
    await publishAndWait([reopened('c7', A, '2026-03-20T09:00:00.000Z', 1), reopened('c10', G, '2026-03-20T09:00:00.000Z', 1)]);
    expect(await loose()).toEqual(['c10', 'c2', 'c5', 'c6', 'c7', 'c8']);
    expect((await packsOf('2026-03', A)).get('c7')).toBe(before); // superseded, not removed
    const open = (await jsonRows({ month: '2026-03' })).filter((r) => r.case_id === 'c7');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ resolved_at: null, reopen_count: 1 });
    await expectSameAsCaseDocuments();

    await publishAndWait([
      entries('c7', A, [step(4, 'resolved', '2026-03-21T12:00:00.000Z', 'Tom Tier2', 'Fixed for good.')]),
      resolved('c7', A, '2026-03-21T12:00:00.000Z', 'Tom Tier2'),
    ]);
    expect(await loose()).toEqual(['c10', 'c2', 'c5', 'c6', 'c8']);
    const again = JSON.parse((await packsOf('2026-03', A)).get('c7')!) as unknown[];
    expect(again).toContain('2026-03-21T12:00:00.000Z');
    expect(again).toContain('Fixed for good.');
    const rows = (await jsonRows({ month: '2026-03' })).filter((r) => r.case_id === 'c7');
    expect(rows).toEqual([expect.objectContaining({ resolved_at: '2026-03-21T12:00:00.000Z', resolution_summary: 'Fixed for good.', reopen_count: 1 })]);
    await expectSameAsCaseDocuments();
  });

  it('erasing a contact re-renders her packed row and removes the superseded one of her reopened case', async () => {
    await publishAndWait([
      ev(Events.ContactErased, { erasureId: 'er1', emailSha256: 'e'.repeat(64), accountId: G, caseIds: ['c9', 'c10'], reason: 'request', pseudonym: 'erased-contact-0001', at: '2026-03-25T00:00:00.000Z' }),
    ]);
    const packs = await packsOf('2026-03', G);
    expect(packs.get('c9')).toContain('erased-contact-0001');
    expect(packs.has('c10')).toBe(false); // reopened (loose) when erased: its superseded row went
    const all = [...packs.values()].join('\n') + (await render('csv', { month: '2026-03' }));
    for (const s of ['Eve', 'eve@globex.test', 'Erin', 'erin@globex.test']) expect({ s, found: all.includes(s) }).toEqual({ s, found: false });
    await expectSameAsCaseDocuments();
  });

  it('the rebuild from events and rebuild.js --packs give the same packs and the same record', async () => {
    const before = { a: await packsOf('2026-03', A), g: await packsOf('2026-03', G), loose: await loose(), csv: await render('csv', { month: '2026-03' }) };
    expect(await rig.rebuild()).toMatch(/rebuilt read models from \d+ events/);
    await waitFor(() => projected(rig.bus), 'events projected', 30_000, 100);
    expect({ a: await packsOf('2026-03', A), g: await packsOf('2026-03', G), loose: await loose(), csv: await render('csv', { month: '2026-03' }) }).toEqual(before);
    await expectSameAsCaseDocuments();

    await rig.reporting!.kill(); // --packs wants the projection stopped
    expect(await rig.rebuild('--packs')).toMatch(/rebuilt record packs from 10 cases: \d+ packs, 5 loose/);
    await rig.spawn();
    expect({ a: await packsOf('2026-03', A), g: await packsOf('2026-03', G), loose: await loose(), csv: await render('csv', { month: '2026-03' }) }).toEqual(before);
    await expectSameAsCaseDocuments();
  }, 120_000);
});
