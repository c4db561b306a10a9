import { chooseTestInfra, parseTestInfraSetting, probeContainerRuntime, resolveTestInfra, RuntimeProbe, TEST_INFRA_KIND_ENV } from './test-infra';

describe(chooseTestInfra.name, () => {
  const answers = (): Promise<RuntimeProbe> => Promise.resolve({ ok: true, detail: 'unix:///var/run/docker.sock' });
  const silent = (): Promise<RuntimeProbe> => Promise.resolve({ ok: false, detail: 'Could not find a working container runtime strategy' });
  const never = (): Promise<RuntimeProbe> => Promise.reject(new Error('the probe must not run'));

  it('uses containers when a runtime answers and nothing is asked', async () => {
    const choice = await chooseTestInfra(undefined, answers);
    expect(choice.kind).toBe('containers');
    expect(choice.line).toContain('mongo:7');
    expect(choice.line).toContain('unix:///var/run/docker.sock');
  });

  it('says so in one line and uses the local servers when no runtime answers', async () => {
    const choice = await chooseTestInfra('', silent);
    expect(choice).toEqual({
      kind: 'local',
      line: 'test infrastructure: no container runtime answered (Could not find a working container runtime strategy); using local FerretDB and nats-server',
    });
    expect(choice.line).not.toContain('\n');
  });

  it('requires containers with SLADESK_TEST_INFRA=containers, and fails clearly without a runtime', async () => {
    expect((await chooseTestInfra('containers', answers)).kind).toBe('containers');
    await expect(chooseTestInfra('Containers', silent)).rejects.toThrow(/SLADESK_TEST_INFRA=containers, but no container runtime answers: Could not find/);
  });

  it('never asks for a runtime with SLADESK_TEST_INFRA=local', async () => {
    expect((await chooseTestInfra('local', never)).kind).toBe('local');
  });

  it('refuses a value it does not know', () => {
    expect(() => parseTestInfraSetting('docker')).toThrow('SLADESK_TEST_INFRA must be containers, local or auto (unset), not "docker"');
    expect(parseTestInfraSetting(' AUTO ')).toBe('auto');
  });
});

describe(resolveTestInfra.name, () => {
  const saved = { kind: process.env[TEST_INFRA_KIND_ENV], setting: process.env.SLADESK_TEST_INFRA };
  afterEach(() => {
    for (const [k, v] of [[TEST_INFRA_KIND_ENV, saved.kind], ['SLADESK_TEST_INFRA', saved.setting]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('decides once, prints the line, and hands the choice on to child processes', async () => {
    delete process.env[TEST_INFRA_KIND_ENV];
    delete process.env.SLADESK_TEST_INFRA;
    const lines: string[] = [];
    let probes = 0;
    const probe = async () => (probes++, { ok: false, detail: 'none here' });
    expect(await resolveTestInfra((l) => lines.push(l), probe)).toBe('local');
    expect(process.env[TEST_INFRA_KIND_ENV]).toBe('local');
    expect(await resolveTestInfra((l) => lines.push(l), probe)).toBe('local');
    expect(probes).toBe(1);
    expect(lines).toEqual(['test infrastructure: no container runtime answered (none here); using local FerretDB and nats-server']);
  });
});

describe(probeContainerRuntime.name, () => {
  it('answers within its time limit whether or not this machine has a container runtime', async () => {
    const started = Date.now();
    const result = await probeContainerRuntime(10_000);
    expect(typeof result.ok).toBe('boolean');
    expect(result.detail.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(12_000);
  }, 20_000);
});
