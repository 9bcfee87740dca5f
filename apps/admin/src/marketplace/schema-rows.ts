// A tool's JSON Schema as rows a user reads: each field's path, type in words, whether it is
// required, and its description.

export type Schema = Record<string, unknown>;

export const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A schema's type in words: `string`, `integer ≥ 1`, `one of "a", "b"`, `array of string`... */
export function describeType(schema: Schema): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if ('const' in schema) return `exactly ${JSON.stringify(schema.const)}`;
  const union = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(union)) return union.filter(isSchema).map(describeType).join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : String(schema.type ?? 'any');
  if (type === 'array' && isSchema(schema.items)) return `array of ${describeType(schema.items)}`;
  const bounds = [
    typeof schema.minimum === 'number' ? `≥ ${schema.minimum}` : null,
    typeof schema.maximum === 'number' ? `≤ ${schema.maximum}` : null,
    typeof schema.format === 'string' ? `(${schema.format})` : null,
  ].filter((b) => b !== null);
  return [type, ...bounds].join(' ');
}

export interface SchemaRow {
  path: string;
  depth: number;
  type: string;
  required: boolean;
  description: string;
}

/** One row per property, nested objects' properties after their parent (to depth 4). */
export function schemaRows(schema: Schema, prefix = '', depth = 0): SchemaRow[] {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties).flatMap(([name, value]) => {
    const child = isSchema(value) ? value : {};
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const row: SchemaRow = {
      path,
      depth,
      type: describeType(child),
      required: required.includes(name),
      description: typeof child.description === 'string' ? child.description : '',
    };
    // Depth is capped: a schema is the plugin's, and a deep one should not blow up the page.
    return depth < 4 && child.type === 'object' ? [row, ...schemaRows(child, path, depth + 1)] : [row];
  });
}
