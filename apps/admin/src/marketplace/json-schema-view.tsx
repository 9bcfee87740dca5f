import { Code, Table, Text } from '@mantine/core';

// A tool's input or output JSON Schema as a user reads it: one row per field (nested objects
// indented under their parent), its type, whether it is required and its description; the raw
// schema stays one click away for what the table does not show.

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema =>
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

interface Row {
  path: string;
  depth: number;
  type: string;
  required: boolean;
  description: string;
}

function rowsOf(schema: Schema, prefix: string, depth: number): Row[] {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties).flatMap(([name, value]) => {
    const child = isSchema(value) ? value : {};
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const row: Row = {
      path,
      depth,
      type: describeType(child),
      required: required.includes(name),
      description: typeof child.description === 'string' ? child.description : '',
    };
    // Depth is capped: a schema is the plugin's, and a deep one should not blow up the page.
    return depth < 4 && child.type === 'object' ? [row, ...rowsOf(child, path, depth + 1)] : [row];
  });
}

export function JsonSchemaView({ schema, label }: { schema: unknown; label: string }) {
  if (!isSchema(schema)) return <Text size="sm">{label}: none declared.</Text>;
  const rows = rowsOf(schema, '', 0);
  return (
    <div className="schema">
      <Text size="sm" fw={600}>
        {label}
      </Text>
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          {describeType(schema)}
        </Text>
      ) : (
        <Table aria-label={label} withRowBorders className="schema-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Field</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Description</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={r.path}>
                <Table.Td style={{ paddingLeft: `${0.6 + r.depth}rem` }}>
                  <Code>{r.path}</Code>
                  {r.required ? ' (required)' : ''}
                </Table.Td>
                <Table.Td>{r.type}</Table.Td>
                <Table.Td>{r.description}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <details>
        <summary>{label} as JSON Schema</summary>
        <pre className="json">{JSON.stringify(schema, null, 2)}</pre>
      </details>
    </div>
  );
}
