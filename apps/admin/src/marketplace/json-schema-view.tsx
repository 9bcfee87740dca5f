import { Code, Table, Text } from '@mantine/core';
import { describeType, isSchema, schemaRows } from './schema-rows.ts';

// A tool's input or output JSON Schema as a user reads it: one row per field (nested objects
// indented under their parent), its type, whether it is required and its description; the raw
// schema stays one click away for what the table does not show.

export function JsonSchemaView({ schema, label }: { schema: unknown; label: string }) {
  if (!isSchema(schema)) return <Text size="sm">{label}: none declared.</Text>;
  const rows = schemaRows(schema);
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
