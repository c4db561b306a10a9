import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { workspaceRoot } from '../src/infra';

/**
 * Proves that the module-boundary rule is active: ESLint must reject these imports. (The Nx rule
 * silently skips itself when no project graph exists, so we make sure one does first.)
 */
describe('module boundaries', () => {
  const root = workspaceRoot();
  beforeAll(() => {
    execFileSync(join(root, 'node_modules', '.bin', 'nx'), ['show', 'projects'], {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false' },
      stdio: 'ignore',
    });
  });

  // ESLint runs as its own process, as in `npm run lint` (its config loader needs native ESM).
  const lint = async (file: string, code: string) => {
    const r = spawnSync(
      join(root, 'node_modules', '.bin', 'eslint'),
      ['--stdin', '--stdin-filename', join(root, file), '--format', 'json'],
      { cwd: root, input: code, encoding: 'utf8' },
    );
    const [result] = JSON.parse(r.stdout) as { messages: { severity: number; ruleId: string; message: string }[] }[];
    return result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
  };

  it('rejects an app importing another app', async () => {
    const errors = await lint(
      'apps/gateway/src/boundary-fixture.ts',
      "import { IntakeModule } from '../../intake/src/app.module';\nexport const x = IntakeModule;\n",
    );
    expect(errors.join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
  });

  it('rejects the business-time engine importing another lib of ours', async () => {
    const errors = await lint(
      'libs/business-time/src/boundary-fixture.ts',
      "import { Events } from '@sladesk/contracts';\nexport const x = Events;\n",
    );
    expect(errors.join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
  });

  it('rejects the contracts importing the messaging lib', async () => {
    const errors = await lint(
      'libs/contracts/src/boundary-fixture.ts',
      "import { NatsBus } from '@sladesk/messaging';\nexport const x = NatsBus;\n",
    );
    expect(errors.join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
  });

  it('rejects a deep import into a library', async () => {
    const errors = await lint(
      'apps/intake/src/boundary-fixture.ts',
      "import { Events } from '@sladesk/contracts/src/subjects';\nexport const x = Events;\n",
    );
    expect(errors.join('\n')).toMatch(/no-restricted-imports|enforce-module-boundaries/);
  });

  it('accepts an app importing the shared libs through their entries', async () => {
    const errors = await lint(
      'apps/intake/src/boundary-fixture.ts',
      "import { Events } from '@sladesk/contracts';\nimport { NatsBus } from '@sladesk/messaging';\nexport const x = [Events, NatsBus];\n",
    );
    expect(errors).toEqual([]);
  });
});
