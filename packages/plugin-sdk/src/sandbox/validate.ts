import type { ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';

const ajv = new Ajv({ allErrors: false, strict: false, validateSchema: false });

/** Compiles a tool's JSON Schema (inputs and outputs are checked outside the isolate). */
export function createValidator(schema: Record<string, unknown>): ValidateFunction {
  return ajv.compile(schema);
}
