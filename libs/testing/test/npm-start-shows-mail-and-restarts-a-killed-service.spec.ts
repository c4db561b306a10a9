import { ensureMailpitBinary, RunningSystem, startSystem, waitFor } from '../src';

type Health = { status: string; services: { service: string; status: string; instanceId?: string }[] };

/** `npm start` as a user runs it: its mail is in Mailpit, and a crashed service comes back alone. */
describe('npm start', () => {
  let sys: RunningSystem;
  const health = async (): Promise<Health> => (await fetch(`${sys.url}/health`)).json() as Promise<Health>;
  const pidOf = (instanceId: string) => Number(instanceId.split(':').pop());

  beforeAll(async () => {
    await ensureMailpitBinary(console.log); // built once per machine (about 3 min), then cached
    sys = await startSystem();
  }, 600_000);
  afterAll(() => sys?.stop(), 60_000);

  it('hands a notification to Mailpit, where its API shows it', async () => {
    const csm = `csm-${Date.now()}`;
    expect((await sys.http('/v1/staff', { json: { id: csm, name: 'Carla', email: `${csm}@vendor.test`, roles: ['csm'] } })).status).toBe(201);
    expect((await sys.http('/v1/accounts', { json: { id: `acct-${csm}`, name: 'Acme', timeZone: 'America/New_York', csmId: csm } })).status).toBe(201);
    // critical: notified at once, whatever the hour (others wait for the CSM's working hours)
    const res = await sys.http('/v1/cases', {
      json: { accountId: `acct-${csm}`, contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: 'Checkout is down', description: 'Every payment fails.', severity: 'critical' },
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };

    const found = await waitFor(
      async () => {
        const r = await fetch(`${sys.mailUrl}/api/v1/search?query=${encodeURIComponent(`to:${csm}@vendor.test`)}`);
        const body = (await r.json()) as { messages: { Subject: string; To: { Address: string }[] }[] };
        return body.messages.find((m) => m.Subject.includes(id));
      },
      'the CSM notification in Mailpit',
      20_000,
      200,
    );
    expect(found!.To.map((t) => t.Address)).toEqual([`${csm}@vendor.test`]);
  });

  it('starts a SIGKILLed service again and it is healthy within 30 s, while the others never stop', async () => {
    const before = await health();
    const up = before.services.filter((s) => s.status === 'up' && s.instanceId);
    const victim = up.find((s) => s.service === 'intake')!;
    expect(victim).toBeDefined();
    const others = up.filter((s) => s !== victim);
    expect(others.length).toBeGreaterThanOrEqual(3);

    const killedAt = Date.now();
    process.kill(pidOf(victim.instanceId!), 'SIGKILL');
    const back = await waitFor(
      async () => {
        const entry = (await health()).services.find((s) => s.service === 'intake');
        return entry?.status === 'up' && entry.instanceId !== victim.instanceId ? entry : undefined;
      },
      'intake to be up again under a new process',
      30_000,
      250,
    );
    console.log(`intake healthy again ${((Date.now() - killedAt) / 1000).toFixed(1)} s after SIGKILL`);

    const exited = sys.events().filter((e) => e.event === 'exited');
    expect(exited.filter((e) => e.unit === 'intake')).toEqual([expect.objectContaining({ reason: 'SIGKILL', restarts: 1 })]);
    expect(sys.events()).toContainEqual(expect.objectContaining({ event: 'started', unit: 'intake', childPid: pidOf(back!.instanceId!), restarts: 1 }));
    // The others: the same processes, alive, never reported as exited.
    const after = await health();
    for (const o of others) {
      expect(after.services.find((s) => s.service === o.service)?.instanceId).toBe(o.instanceId);
      expect(() => process.kill(pidOf(o.instanceId!), 0)).not.toThrow();
      expect(exited.filter((e) => e.unit === o.service)).toEqual([]);
    }
    // and the restarted intake does its work
    const res = await sys.http('/v1/accounts', { json: { id: `after-restart-${Date.now()}`, name: 'Globex', timeZone: 'Europe/Paris' } });
    expect(res.status).toBe(201);
  }, 45_000);
});
