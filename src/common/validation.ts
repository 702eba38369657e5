import { ValidateIf } from 'class-validator';

/**
 * The field may be left out, but not sent as `null` (it has no null state): unlike `@IsOptional()`,
 * a `null` still runs the field's validators and is refused with 400 `validation_failed`.
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
