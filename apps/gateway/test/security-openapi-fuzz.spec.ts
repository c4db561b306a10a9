import { freePort, ServiceChild, spawnService, startTestNats, testMongoUrl } from '@sladesk/testing';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import mongoose from 'mongoose';
import { Gateway } from '../src/gateway';
import { ADMIN_KEY, caller, gatewayOn, json } from './security-kit';

/**
 * A property-based fuzz driven by the OpenAPI document: for every operation, requests generated from
 * its parameters and body schema (valid-looking values, known ids, and anything at all), sent to a
 * gateway in front of every real service; every answer must be below 500 and match the schema the
 * document gives for its status (or `4XX`/`5XX`: our error shape, whose `code` enum lists every code).
 */
type Schema = Record<string, any>;
type Op = { method: string; path: string; params: { name: string; in: string; schema?: Schema }[]; body?: Schema; responses: Record<string, any> };
const RUNS = Number(process.env.SLADESK_FUZZ_RUNS ?? 2500);
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}$/;

describe('OpenAPI-driven fuzz: thousands of generated requests, 0 answers 5xx, 0 off-schema', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let gateway: Gateway;
  let children: ServiceChild[] = [];
  const mongoUrl = testMongoUrl('security_fuzz');
  const known = ['acme', 'csm-carla', 'x1'];

  beforeAll(async () => {
    nats = await startTestNats();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    const smtp = String(await freePort());
    children = ['intake', 'sla', 'escalation', 'maintenance', 'reporting'].map((s) =>
      spawnService(s, s === 'intake' ? { ...env, SLADESK_SMTP_PORT: smtp, SLADESK_INTERCOM_CLIENT_SECRET: 'fuzz-secret' } : { ...env, SLADESK_DIGEST_ENABLED: 'false' }),
    );
    await Promise.all(children.map((c) => c.ready));
    gateway = await gatewayOn(env, { SLADESK_RATE_LIMIT_PER_IP: '0', SLADESK_RATE_LIMIT_PER_KEY: '0', SLADESK_RPC_TIMEOUT_MS: '20000' });
    const call = caller(gateway.url);
    await call('/v1/staff', { json: { id: 'csm-carla', name: 'Carla', email: 'carla@vendor.test', roles: ['csm'] } });
    await call('/v1/accounts', { json: { id: 'acme', name: 'Acme', timeZone: 'America/New_York', csmId: 'csm-carla' } });
    const c = await json(await call('/v1/cases', { json: { accountId: 'acme', contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: 'Login', description: 'Spins.' } }));
    known.push(c.id);
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(children.map((c) => c.kill()));
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
    await nats?.cleanup();
  });

  it(`sends ${RUNS} requests over every operation`, async () => {
    const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };
    const schemas = doc.components.schemas;
    const deref = (s: Schema | undefined): Schema => (s?.$ref ? deref(schemas[s.$ref.split('/').pop()!]) : (s ?? {}));

    // ---- OpenAPI schema → fast-check arbitrary ----
    const anyString = fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
    const arbitrary = (input: Schema | undefined, depth = 0): fc.Arbitrary<unknown> => {
      const s = deref(input);
      if (s.allOf) return arbitrary(Object.assign({}, ...s.allOf.map(deref), { ...s, allOf: undefined }), depth);
      if (s.anyOf || s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf).map((x: Schema) => arbitrary(x, depth)));
      const odd = fc.oneof(fc.constant(null), fc.integer(), anyString, fc.constant({ $gt: '' }));
      const valid = ((): fc.Arbitrary<unknown> => {
        if (s.enum) return fc.constantFrom(...s.enum);
        const type = s.type ?? (s.properties ? 'object' : undefined);
        if (type === 'string') {
          if (s.format === 'email') return fc.emailAddress();
          if (s.format === 'date-time' || s.format === 'date') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => (s.format === 'date' ? d.toISOString().slice(0, 10) : d.toISOString()));
          if (s.pattern) {
            try {
              return fc.oneof(fc.stringMatching(new RegExp(s.pattern)), anyString);
            } catch {
              return anyString;
            }
          }
          return anyString;
        }
        if (type === 'integer') return fc.integer({ min: s.minimum ?? -5, max: Math.min(s.maximum ?? 500, 500) });
        if (type === 'number') return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
        if (type === 'boolean') return fc.boolean();
        if (type === 'array') return depth > 3 ? fc.constant([]) : fc.array(arbitrary(s.items, depth + 1), { maxLength: Math.min(s.maxItems ?? 3, 3) });
        if (type === 'object') {
          if (depth > 3 || !s.properties) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
          const props = Object.fromEntries(Object.entries<Schema>(s.properties).map(([k, v]) => [k, arbitrary(v, depth + 1)]));
          return fc.record(props, { requiredKeys: (s.required ?? []).filter((k: string) => k in props) });
        }
        return fc.jsonValue({ maxDepth: 2 });
      })();
      return fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: odd });
    };

    const ops: Op[] = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
        responses: op.responses,
      })),
    );
    const pathId = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...known) }, { weight: 3, arbitrary: fc.stringMatching(ID) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) });
    const requestOf = (op: Op) =>
      fc.record({
        op: fc.constant(op),
        path: fc.record(Object.fromEntries(op.params.filter((p) => p.in === 'path').map((p) => [p.name, pathId]))),
        query: fc.record(Object.fromEntries(op.params.filter((p) => p.in === 'query').map((p) => [p.name, arbitrary(p.schema ?? { type: 'string' })])), { requiredKeys: [] }),
        body: op.body ? fc.oneof({ weight: 10, arbitrary: arbitrary(op.body) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }) : fc.constant(undefined),
        key: fc.constantFrom(ADMIN_KEY, ADMIN_KEY, ADMIN_KEY, ADMIN_KEY, null),
      });

    // ---- response schemas (OpenAPI 3.0 → JSON Schema for ajv) ----
    const ajv = new Ajv({ strict: false, allErrors: false });
    addFormats(ajv);
    const toJsonSchema = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(toJsonSchema);
      if (typeof node !== 'object' || node === null) return node;
      const { nullable, ...rest } = node as Schema;
      const out: Schema = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, k === '$ref' ? `urn:oas:${String(v).split('/').pop()}` : k === 'example' ? undefined : toJsonSchema(v)]));
      if (!nullable) return out;
      return typeof out.type === 'string' ? { ...out, type: [out.type, 'null'] } : { anyOf: [out, { type: 'null' }] };
    };
    for (const [name, s] of Object.entries(schemas)) ajv.addSchema(toJsonSchema(s) as object, `urn:oas:${name}`);
    const validators = new Map<unknown, ValidateFunction>();
    const validatorOf = (schema: unknown) => {
      if (!validators.has(schema)) validators.set(schema, ajv.compile(toJsonSchema(schema) as object));
      return validators.get(schema)!;
    };

    const failures: string[] = [];
    const undocumented = new Set<string>();
    const statuses = new Map<string, number>();
    const fastify = gateway.app.getHttpAdapter().getInstance();
    await fc.assert(
      fc.asyncProperty(fc.oneof(...ops.map(requestOf)), async ({ op, path, query, body, key }) => {
        const url =
          op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(String((path as Record<string, unknown>)[name]))) +
          '?' +
          new URLSearchParams(Object.entries(query as Record<string, unknown>).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
        const res = await fastify.inject({
          method: op.method as 'GET',
          url,
          headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
        });
        const label = `${op.method} ${url} ${body === undefined ? '' : JSON.stringify(body).slice(0, 200)} → ${res.statusCode}`;
        statuses.set(`${Math.floor(res.statusCode / 100)}xx`, (statuses.get(`${Math.floor(res.statusCode / 100)}xx`) ?? 0) + 1);
        if (res.statusCode >= 500) failures.push(`${label}: ${res.body.slice(0, 300)}`);
        const documented = op.responses[String(res.statusCode)] ?? op.responses[`${Math.floor(res.statusCode / 100)}XX`];
        // A success the document does not describe has no schema to check: listed, for the route's owner.
        if (!documented && res.statusCode < 400) undocumented.add(`${op.method} ${op.path} → ${res.statusCode}`);
        else if (!documented) failures.push(`${label}: status not in the document`);
        const schema = documented?.content?.['application/json']?.schema;
        if (schema && String(res.headers['content-type']).includes('application/json')) {
          const validate = validatorOf(schema);
          if (!validate(res.json())) failures.push(`${label}: off-schema ${ajv.errorsText(validate.errors)} in ${res.body.slice(0, 300)}`);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.SLADESK_FUZZ_SEED ?? 1414), endOnFailure: true },
    );
    console.info(`fuzz: ${RUNS} requests over ${ops.length} operations, answers ${JSON.stringify(Object.fromEntries(statuses))}`);
    // What was sent: every family of answer, not only refusals.
    expect(statuses.get('2xx') ?? 0).toBeGreaterThan(RUNS / 20);
    expect(statuses.get('4xx') ?? 0).toBeGreaterThan(RUNS / 5);
    if (undocumented.size) console.warn(`successes the OpenAPI document does not describe (no schema to check):\n${[...undocumented].sort().join('\n')}`);
    expect(failures.slice(0, 30)).toEqual([]);
  }, 600_000);
});
