import { AppError, validatePlain } from '@sladesk/contracts';
import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';

const PRIMITIVES = new Set<unknown>([String, Number, Boolean, Array, Object]);

/** Validates bodies and queries against the contract classes, exactly as the services do. */
@Injectable()
export class ContractValidationPipe implements PipeTransform {
  transform(value: unknown, meta: ArgumentMetadata): unknown {
    if ((meta.type !== 'body' && meta.type !== 'query') || !meta.metatype || PRIMITIVES.has(meta.metatype)) {
      return value;
    }
    const checked = validatePlain(meta.metatype as new () => object, value ?? {});
    if (!checked.ok) throw new AppError('VALIDATION.FAILED', `invalid ${meta.type}`, checked.problems);
    return checked.value;
  }
}
