import { fileURLToPath } from 'node:url';
import { planSpecJsonSchema } from './plan-schema.ts';

/** Where the published schema lives in the package. */
export const planSchemaFile = fileURLToPath(new URL('../plan.schema.json', import.meta.url));

/** The exact text of `plan.schema.json`. */
export function planSchemaText(): string {
  return `${JSON.stringify(planSpecJsonSchema, null, 2)}\n`;
}
