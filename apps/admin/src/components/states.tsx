import { Alert, Center, Loader, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { describeError } from '../errors.ts';

/** The three states every page shows the same way: loading, empty, failed. */
export function Loading({ what }: { what: string }) {
  // A name is only allowed on an element with a role; "status" is also what a screen reader announces.
  return (
    <Center p="md">
      <Loader size="sm" role="status" aria-label={`Loading ${what}`} />
    </Center>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" p="md" className="empty">
      {children}
    </Text>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  return (
    <Alert color="red" role="alert" title="Could not load this" className="error">
      {describeError(error)}
    </Alert>
  );
}
