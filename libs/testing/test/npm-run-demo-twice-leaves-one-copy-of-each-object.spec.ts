import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureMailpitBinary, RunningSystem, startSystem, waitFor, workspaceRoot } from '../src';

const run = promisify(execFile);
type Ids = { staff: string[]; accounts: string[]; policy: string; cases: Record<string, string>; escalation: string; incident: string };

/** `npm run demo` against `npm start`, twice: the second run finds everything and adds nothing. */
describe('npm run demo', () => {
  let sys: RunningSystem;
  const demo = async (): Promise<Ids> => {
    const { stdout } = await run(process.execPath, [join(workspaceRoot(), 'tools', 'demo', 'demo.mjs'), '--json'], {
      env: {
        ...process.env,
        SLADESK_URL: sys.url,
        SLADESK_ADMIN_API_KEY: sys.apiKey,
        SLADESK_INTERCOM_CLIENT_SECRET: sys.intercomSecret,
        SLADESK_SMTP_PORT: String(sys.smtpInPort),
      },
      timeout: 60_000,
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Ids;
  };
  const list = async (path: string) => ((await (await sys.http(path)).json()) as { items: any[] }).items;
  const mailsTo = async (address: string) =>
    ((await (await fetch(`${sys.mailUrl}/api/v1/search?query=${encodeURIComponent(`to:${address}`)}`)).json()) as { messages: { Subject: string }[] }).messages;

  /** Everything the demo makes, counted through the API and Mailpit. */
  const census = async (ids: Ids) => {
    const accounts = await list('/v1/accounts?limit=200');
    const staff = await list('/v1/staff?limit=200');
    const cases = (await Promise.all(ids.accounts.map((a) => list(`/v1/cases?accountId=${a}&limit=200`)))).flat();
    const timeline = async (id: string) => ((await (await sys.http(`/v1/cases/${id}/timeline?limit=200`)).json()) as { entries: { kind: string }[] }).entries.map((e) => e.kind);
    return {
      staff: staff.filter((s) => s.id.startsWith('demo-')).length,
      accounts: accounts.filter((a) => a.id.startsWith('demo-')).length,
      cases: cases.map((c) => `${c.accountId}/${c.channel}/${c.subject}`).sort(),
      incidents: (await list('/v1/incidents?limit=200')).filter((i) => i.title.startsWith('Demo:')).length,
      manualEscalations: (await list(`/v1/escalations?caseId=${ids.cases.critical}&reason=manual`)).length,
      answered: await timeline(ids.cases.normal),
      paused: await timeline(ids.cases.low),
      pausedStatus: ((await (await sys.http(`/v1/cases/${ids.cases.low}`)).json()) as { status: string }).status,
      receipts: (await mailsTo('ada@acme.example')).filter((m) => m.Subject.includes('Cannot log in')).length,
    };
  };

  beforeAll(async () => {
    await ensureMailpitBinary(console.log);
    sys = await startSystem();
  }, 600_000);
  afterAll(() => sys?.stop(), 60_000);

  it('makes its objects once, however often it runs', async () => {
    const first = await demo();
    await waitFor(async () => (await mailsTo('ada@acme.example')).length > 0, 'the receipt of the mailed case in Mailpit', 20_000, 200);
    const before = await census(first);
    expect(before).toMatchObject({ staff: 6, accounts: 4, incidents: 1, manualEscalations: 1, receipts: 1 });
    expect(before.cases).toHaveLength(7);
    expect(before.answered.filter((k) => k === 'response')).toHaveLength(1);
    expect(before.paused.filter((k) => k === 'response')).toHaveLength(1);
    expect(before.pausedStatus).toBe('waiting_on_customer');

    const second = await demo();
    expect(second).toEqual(first);
    expect(await census(second)).toEqual(before);
  }, 120_000);
});
