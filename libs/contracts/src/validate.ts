import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export interface FieldProblem {
  path: string;
  problems: string[];
}

function flatten(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ path, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/**
 * Turns a plain object from the wire into an instance of `cls`, rejecting unknown fields (requests:
 * strict), or dropping them (`unknownFields: 'strip'`, events: a reader tolerates what a newer writer adds).
 * Returns the instance or the list of problems, never throws for bad input.
 */
export function validatePlain<T extends object>(
  cls: new () => T,
  plain: unknown,
  options: { unknownFields?: 'forbid' | 'strip' } = {},
): { ok: true; value: T } | { ok: false; problems: FieldProblem[] } {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { ok: false, problems: [{ path: '', problems: ['body must be a JSON object'] }] };
  }
  const value = plainToInstance(cls, plain, { enableImplicitConversion: false });
  const errors = validateSync(value, {
    whitelist: true,
    forbidNonWhitelisted: (options.unknownFields ?? 'forbid') === 'forbid',
    forbidUnknownValues: true,
  });
  return errors.length ? { ok: false, problems: flatten(errors) } : { ok: true, value };
}
