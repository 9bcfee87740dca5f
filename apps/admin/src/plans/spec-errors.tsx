import { Alert, List, Text } from '@mantine/core';
import type { PlacedError } from './spec-paths.ts';

/** The server's objections to the spec, beside the editor, each with the line it marks. */
export function SpecErrors({ errors }: { errors: readonly PlacedError[] }) {
  if (errors.length === 0) return null;
  return (
    <Alert color="red" title="The server did not accept this spec" className="spec-errors" role="alert">
      <List size="sm" spacing={4}>
        {errors.map((e) => (
          <List.Item key={`${e.line}:${e.path}:${e.message}`} data-line={e.line} className="spec-error">
            <Text span size="xs" c="dimmed">
              line {e.line}
              {e.path === '' ? '' : ` · ${e.path}`}
            </Text>{' '}
            {e.message}
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}
