import { workspaceRoot } from '@sladesk/testing';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** CI's check that the committed client was generated from the document the gateway serves today. */
describe('the TypeScript client', () => {
  const committed = join(workspaceRoot(), 'clients', 'typescript');
  let fresh: string;
  beforeAll(async () => {
    fresh = mkdtempSync(join(tmpdir(), 'sladesk-client-'));
    await run(process.execPath, [join(committed, 'generate.mjs'), '--out', fresh], {
      env: { ...process.env, SLADESK_SKIP_BUILD: '1' }, // dist/ was built by the test setup
      maxBuffer: 64 * 1024 * 1024,
    });
  }, 120_000);
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it.each(['openapi.json', 'src/schema.ts'])('%s is current (if not: npm run client:generate, and commit it)', (file) => {
    const now = readFileSync(join(fresh, file), 'utf8');
    const inRepo = readFileSync(join(committed, file), 'utf8');
    if (now !== inRepo) {
      const a = inRepo.split('\n');
      const b = now.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      throw new Error(
        `clients/typescript/${file} is not what the gateway generates today (first difference at line ${line + 1}:\n` +
          `  committed: ${a[line]}\n  generated: ${b[line]}).\nRun \`npm run client:generate\` and commit the result.`,
      );
    }
  });
});
