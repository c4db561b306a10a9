import { Parser } from '@asyncapi/parser';
import { OpenAPIObject } from '@nestjs/swagger';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildContractDocuments } from './documents';

const run = promisify(execFile);
type Problem = { ruleId: string; severity: string; message: string; location: { pointer: string }[] };

/** Every `$ref` in `doc` that points inside it but at nothing. */
function unresolvedRefs(doc: object): string[] {
  const missing: string[] = [];
  const resolve = (pointer: string) =>
    pointer
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  JSON.stringify(doc, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/') && resolve(value) === undefined) missing.push(value);
    return value;
  });
  return missing;
}

/** The documents served at /openapi.json and /asyncapi.json, fed to the tools their readers use. */
describe('contract documents', () => {
  let openapi: OpenAPIObject;
  let asyncapi: Record<string, unknown>;
  let dir: string;
  beforeAll(async () => {
    ({ openapi, asyncapi } = await buildContractDocuments());
    dir = mkdtempSync(join(tmpdir(), 'sladesk-contracts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('make every nested DTO, arrays of objects included, a real schema', () => {
    const schemas = openapi.components!.schemas as Record<string, any>;
    expect(schemas.CreateAccountRequest.properties.contacts.items).toEqual({ $ref: '#/components/schemas/ContactDto' });
    expect(schemas.ContactDto.properties).toHaveProperty('email');
    expect(unresolvedRefs(openapi)).toEqual([]);
    expect(unresolvedRefs(asyncapi)).toEqual([]);
    expect(JSON.stringify(asyncapi)).not.toContain('#/components/schemas/Array');
  });

  it('AsyncAPI: @asyncapi/parser reads it with no error', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(asyncapi));
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.code} ${d.message} at ${d.path.join('/')}`);
    expect(errors).toEqual([]);
    expect(document?.channels().length).toBeGreaterThan(10);
  });

  it("OpenAPI: Redocly's recommended rules find no error", async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(openapi));
    const cli = require.resolve('@redocly/cli/bin/cli.js');
    const { stdout } = await run(process.execPath, [cli, 'lint', file, '--extends', 'recommended', '--format', 'json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((e: { stdout?: string; message: string }) => {
      if (!e.stdout) throw e;
      return { stdout: e.stdout }; // exits 1 when it finds errors; the JSON says which
    });
    const problems = (JSON.parse(stdout) as { problems: Problem[] }).problems;
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  }, 120_000);

  it('say which operations need the API key and which are public', () => {
    const ops = Object.values(openapi.paths).flatMap((item) => Object.values(item)) as { operationId: string; security: unknown[] }[];
    const byId = Object.fromEntries(ops.map((o) => [o.operationId, o.security]));
    expect(openapi.security).toEqual([{ bearer: [] }]);
    expect(byId.HealthHttpController_health).toEqual([]);
    expect(byId.IntercomWebhookHttpController_receive ?? Object.entries(byId).find(([id]) => id.startsWith('IntercomWebhook'))?.[1]).toEqual([]);
    expect(byId.CasesHttpController_create).toEqual([{ bearer: [] }]);
  });
});
