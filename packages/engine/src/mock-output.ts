import type { JsonSchema } from './types.ts';

/** A value shaped like `schema` (dry runs answer this for tools that must not run for real). */
export function mockFromSchema(schema: JsonSchema | undefined, depth = 0): unknown {
  if (schema === undefined || depth > 8) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0] ?? null;
  if ('default' in schema) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      for (const [key, sub] of Object.entries(props)) out[key] = mockFromSchema(sub, depth + 1);
      return out;
    }
    case 'array':
      return [];
    case 'string':
      return schema.format === 'date-time' ? new Date(0).toISOString() : '';
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}
