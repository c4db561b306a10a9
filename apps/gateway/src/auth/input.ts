import { AppError } from '@sladesk/contracts';

/** Names that would reach MongoDB as operators, or JavaScript's object machinery, if a layer below ever let them through. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_NODES = 200_000;

/**
 * Refuses a body or query with a field name starting with `$` (`{"$gt": ""}`, `{"$where": …}`) or
 * naming the prototype machinery, at any depth, with 400 REQUEST.OPERATOR_REJECTED and the path of
 * the first one. Contract validation refuses most of them anyway (unknown fields, typed values);
 * this is the one check that covers free-form objects too (`data`, metadata), whatever a route does.
 * Iterative, so a deeply nested body cannot exhaust the stack.
 */
export function assertNoOperators(value: unknown, where: 'body' | 'query'): void {
  const stack: [unknown, string][] = [[value, where]];
  let seen = 0;
  while (stack.length) {
    const [node, path] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (++seen > MAX_NODES) throw new AppError('VALIDATION.FAILED', `${where} has too many values`);
    if (Array.isArray(node)) {
      node.forEach((v, i) => stack.push([v, `${path}[${i}]`]));
      continue;
    }
    for (const key of Object.keys(node)) {
      if (key.startsWith('$') || FORBIDDEN.has(key)) {
        throw new AppError('REQUEST.OPERATOR_REJECTED', `Field names may not start with "$" or be ${[...FORBIDDEN].join('/')}: ${path}.${key}`, [
          { path: `${path}.${key}`, problems: ['operator or reserved field name'] },
        ]);
      }
      stack.push([(node as Record<string, unknown>)[key], `${path}.${key}`]);
    }
  }
}
