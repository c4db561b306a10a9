import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

// class-transformer's metadata (what @Type(() => ContactDto) says an array or object holds) lives in a
// module its package does not export with types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as typeof import('class-transformer/types/storage');

export type Schema = Record<string, unknown>;

/**
 * JSON Schemas of every contract class, from its class-validator decorators; nested classes (arrays of
 * them too) are `$ref`s to their own schemas, which class-transformer's @Type names. Without that
 * metadata an array of objects would point at `#/components/schemas/Array`.
 */
export function contractSchemas(): Record<string, Schema> {
  return validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, Schema>;
}

const isNullType = (s: unknown): boolean => typeof s === 'object' && s !== null && (s as Schema).type === 'null';

/**
 * Rewrites the JSON Schema idioms that OpenAPI 3.0 schemas lack: `type: 'null'` (class-validator's
 * @IsDefined gives `not: { type: 'null' }`, which `required` already says), siblings of `$ref` (ignored
 * by 3.0, so they go beside it in an `allOf`), and `oneOf` over string formats (IsISO8601's date or
 * date-time overlap, so `anyOf`). Works on any part of a document; `properties` maps are walked as maps.
 */
export function toOpenApi30Schema<T>(node: T): T {
  return walk(node, false) as T;
}

/** The names of the schemas `root` reaches through `$ref`s, directly or through other schemas. */
export function reachableSchemas(root: unknown, schemas: Record<string, unknown>): Set<string> {
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        const name = v.slice('#/components/schemas/'.length);
        if (!seen.has(name)) {
          seen.add(name);
          visit(schemas[name]);
        }
      } else visit(v);
    }
  };
  visit(root);
  return seen;
}

function walk(node: unknown, isMap: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => walk(n, false));
  if (typeof node !== 'object' || node === null) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (isMap) out[k] = walk(v, false);
    else if (k === 'not' && isNullType(v)) continue;
    else if ((k === 'anyOf' || k === 'oneOf') && Array.isArray(v) && v.some(isNullType)) {
      const rest = v.filter((s) => !isNullType(s)).map((s) => walk(s, false));
      out.nullable = true;
      if (rest.length === 1) Object.assign(out, rest[0]);
      else if (rest.length) out[k] = rest;
    } else out[k] = walk(v, k === 'properties');
  }
  if (isMap) return out;

  if (out.type === 'null') {
    delete out.type;
    out.nullable = true;
  }
  if (Array.isArray(out.oneOf) && out.oneOf.every((s) => (s as Schema)?.type === 'string')) {
    out.anyOf = out.oneOf;
    delete out.oneOf;
  }
  if (typeof out.$ref === 'string' && Object.keys(out).length > 1) {
    // `type: object` beside a $ref adds nothing; anything else must not be lost
    const { $ref, type: _type, ...rest } = out;
    return Object.keys(rest).length ? { allOf: [{ $ref }], ...rest } : { $ref };
  }
  return out;
}
