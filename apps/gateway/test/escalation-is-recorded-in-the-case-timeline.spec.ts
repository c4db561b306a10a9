import { jsonOf, Stack, startStack } from './stack';

/** Local hours around now on a weekday somewhere, so notifications are not held for working hours. */
function atWorkNow(): { timeZone: string; workingHours: string } {
  for (const timeZone of ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(new Date());
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    if (!['Sat', 'Sun'].includes(parts.find((p) => p.type === 'weekday')!.value) && hour >= 1 && hour <= 21) {
      return { timeZone, workingHours: `${String(hour - 1).padStart(2, '0')}:00-${String(hour + 2).padStart(2, '0')}:00` };
    }
  }
  throw new Error('no suitable zone found');
}

describe('escalation, end to end: REST → intake → escalation → SMTP → back into the case record', () => {
  let stack: Stack;
  const hours = atWorkNow();

  beforeAll(async () => {
    stack = await startStack('escalation_record', { escalation: true });
    for (const [id, roles] of [
      ['csm-carla', ['csm']],
      ['t2-tom', ['tier2']],
      ['exec-eve', ['executive']],
    ] as const) {
      const res = await stack.http('/v1/staff', { json: { id, name: id, email: `${id}@vendor.test`, roles, ...hours } });
      expect(res.status).toBe(201);
    }
    for (const id of ['acme', 'beta', 'gamma']) {
      const res = await stack.http('/v1/accounts', { json: { id, name: id.toUpperCase(), timeZone: 'America/New_York', csmId: 'csm-carla' } });
      expect(res.status).toBe(201);
    }
  });

  afterAll(() => stack?.stop());

  const openCase = async (accountId: string, category = 'technical') => {
    const res = await stack.http('/v1/cases', {
      json: { accountId, contact: { name: 'Ada', email: 'ada@example.test' }, channel: 'api', subject: 'Exports fail', description: 'Since 9am.', category, severity: 'high' },
    });
    expect(res.status).toBe(201);
    return (await jsonOf(res)).id as string;
  };
  const timeline = async (caseId: string) => (await jsonOf(await stack.http(`/v1/cases/${caseId}/timeline?verify=true`))) as any;
  const entriesOf = async (caseId: string, kind: string) => ((await timeline(caseId)).entries as any[]).filter((e) => e.kind === kind);
  const eventually = async <T>(check: () => Promise<T | false | undefined>, what: string): Promise<T> => {
    for (let i = 0; i < 150; i++) {
      const v = await check().catch(() => undefined);
      if (v) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('assigns a technical case to Tier 2 and records each escalation and delivered notification in its timeline', async () => {
    const caseId = await openCase('acme');
    await stack.relay.waitFor((m) => JSON.stringify(m.to).includes('t2-tom@vendor.test') && (m.subject ?? '').includes(caseId));
    const escalations = await eventually(async () => {
      const e = await entriesOf(caseId, 'escalation');
      return e.length === 2 && e;
    }, 'two escalation entries');
    expect(escalations.map((e) => e.data.level).sort()).toEqual(['tier1', 'tier2']);
    const delivered = await eventually(async () => {
      const n = await entriesOf(caseId, 'notification');
      return n.length === 2 && n;
    }, 'two notification entries');
    expect(delivered.every((n) => n.data.delivered === true)).toBe(true);

    // Tier 1 asked for the CSM and Tier 2 (decided next) for its member: the case ends with Tier 2,
    // whichever assignment intake recorded or escalation heard first.
    const record = await eventually(async () => {
      const r = await jsonOf(await stack.http(`/v1/cases/${caseId}`));
      return r.assigneeId === 't2-tom' && r;
    }, 'the case assigned to Tier 2');
    expect(record.assigneeId).toBe('t2-tom');
    const tl = await timeline(caseId);
    expect(tl.verification).toMatchObject({ intact: true });
  });

  it('records the acknowledgement and the incident a case is linked to', async () => {
    const caseId = await openCase('beta', 'billing');
    const esc = await eventually(async () => (await jsonOf(await stack.http(`/v1/escalations?caseId=${caseId}`))).items[0], 'escalation');
    expect((await stack.http(`/v1/escalations/${esc.id}/ack`, { json: { by: 'csm-carla' } })).status).toBe(200);
    await eventually(async () => (await entriesOf(caseId, 'acknowledged')).length === 1, 'acknowledged entry');

    const incident = await jsonOf(await stack.http('/v1/incidents', { json: { title: 'Billing run stuck', severity: 'critical', caseIds: [caseId] } }));
    expect(incident).toMatchObject({ platformWide: true });
    const [linked] = await eventually(async () => {
      const e = await entriesOf(caseId, 'incident');
      return e.length === 1 && e;
    }, 'incident entry');
    expect(linked.text).toContain('Billing run stuck');
    await stack.relay.waitFor((m) => JSON.stringify(m.to).includes('exec-eve@vendor.test') && (m.subject ?? '').includes('platform wide'));
  });
});
