import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Check {
  check: string;
  passed: boolean;
}
interface ScenarioResult {
  scenario: string;
  error?: string;
  counts?: {
    requests: number;
    ok: number;
    lost: number;
    duplicated: number;
    unknown: number;
    refused: number;
    eventsStoredTwice: number;
    brokenChains: number;
    lostDetail: Record<string, number>;
  };
  burst?: { replays: { otherCase: number } };
  checks?: Check[];
}
interface Report {
  scenarios: ScenarioResult[];
  unexpectedExits: unknown[];
}

// The short version of `npm run test:faults` (docs/faults.md): small bursts through REST while each
// service, then NATS, then the database is SIGKILLed; malformed messages; SLA timers due during an
// outage. The suite prints its counts; here every request must end up ok.
describe('the system under faults (short run of tools/faults/run.mjs)', () => {
  const root = join(__dirname, '..', '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'sladesk-faults-'));
  const json = join(dir, 'result.json');
  let report: Report;

  beforeAll(async () => {
    // npm test has just built dist/; run on its own otherwise, the suite compiles a private copy.
    const args = [
      join(root, 'tools', 'faults', 'run.mjs'),
      '--short',
      '--json',
      json,
      ...(process.env.SLADESK_SKIP_BUILD ? ['--dist'] : []),
    ];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      process.stdout.write(b);
    });
    child.stderr.on('data', (b: Buffer) => process.stderr.write(b));
    await new Promise((resolve) => child.once('exit', resolve));
    try {
      report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    } catch {
      throw new Error(`the fault suite wrote no result (exit ${child.exitCode}):\n${out.slice(-3000)}`);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const scenario = (name: string) => {
    const s = report.scenarios.find((x) => x.scenario === name);
    if (!s) throw new Error(`scenario ${name} did not run`);
    if (s.error) throw new Error(`scenario ${name} failed to run: ${s.error}`);
    return s;
  };
  const nothingLost = (name: string) => {
    const s = scenario(name);
    const { requests, ok, lost, duplicated, unknown, refused, eventsStoredTwice, brokenChains } = s.counts!;
    const replayedToAnotherCase = s.burst!.replays.otherCase;
    expect({
      name,
      notOk: requests - ok,
      lost,
      duplicated,
      unknown,
      refused,
      eventsStoredTwice,
      brokenChains,
      replayedToAnotherCase,
    }).toEqual({
      name,
      notOk: 0,
      lost: 0,
      duplicated: 0,
      unknown: 0,
      refused: 0,
      eventsStoredTwice: 0,
      brokenChains: 0,
      replayedToAnotherCase: 0,
    });
    return s;
  };
  const check = (s: ScenarioResult, match: RegExp) => {
    const c = s.checks!.find((x) => match.test(x.check));
    expect(c).toBeDefined();
    return c!;
  };

  it('each service SIGKILLed in turn during a burst: every accepted request ok, none duplicated, refusals 503/504 with a code', () => {
    const s = nothingLost('kill-each');
    expect(check(s, /refusal/)).toMatchObject({ passed: true });
    expect(check(s, /healthy/)).toMatchObject({ passed: true });
  });

  it('the NATS server SIGKILLed mid-burst: every accepted request ok, none duplicated, refusals 503/504 with a code', () => {
    const s = nothingLost('nats-restart');
    expect(check(s, /refusal/)).toMatchObject({ passed: true });
    expect(check(s, /healthy/)).toMatchObject({ passed: true });
  });

  it('the database server SIGKILLed mid-burst: every accepted request ok, none duplicated, refusals 503/504 with a code', () => {
    const s = nothingLost('db-restart');
    expect(check(s, /refusal/)).toMatchObject({ passed: true });
    // A finding still open (docs/faults.md, "Findings"): reporting sometimes does not get its database
    // back (every command fails with the error of one closed connection; its ping says mongodb down, so
    // every gateway's /health is 503). Any other instance unhealthy afterwards fails here.
    const unhealthy = (check(s, /healthy/) as Check & { unhealthy: { service: string }[] }).unhealthy.map((h) => h.service);
    expect(unhealthy.filter((u) => u !== 'reporting' && !u.startsWith('gateway'))).toEqual([]);
    if (unhealthy.some((u) => u.startsWith('gateway'))) expect(unhealthy).toContain('reporting');
  });

  it('malformed messages are dead-lettered by every consumer within 5 s and their lag returns to 0', () => {
    const s = nothingLost('poison');
    expect(check(s, /dead-letters/)).toMatchObject({ passed: true });
    expect(check(s, /lag/)).toMatchObject({ passed: true });
    expect(check(s, /healthy/)).toMatchObject({ passed: true });
  });

  it('SLA warnings and breaches due while sla is down fire once, late by no more than the outage', () => {
    const s = nothingLost('sla-timers');
    expect(check(s, /exactly once/)).toMatchObject({ passed: true });
    expect(check(s, /later than/)).toMatchObject({ passed: true });
    expect(check(s, /healthy/)).toMatchObject({ passed: true });
  });

  it('no instance exited on its own', () => {
    expect(report.unexpectedExits).toEqual([]);
  });
});
