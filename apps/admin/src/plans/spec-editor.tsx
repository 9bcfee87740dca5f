import { Skeleton } from '@mantine/core';
import { lazy, Suspense } from 'react';
import type { PlacedError } from './spec-paths.ts';

// CodeMirror and the schema tooling are a chunk of their own: the runs pages never load them.
const PlanEditor = lazy(() => import('./plan-editor.tsx'));

/** The JSON editor of a plan spec, with the server's errors of the last save marked on their lines. */
export function SpecEditor(props: {
  value: string;
  onChange: (text: string) => void;
  errors: readonly PlacedError[];
  label: string;
  readOnly?: boolean;
}) {
  return (
    <Suspense fallback={<Skeleton height={240} role="status" aria-label="Loading the editor" />}>
      <PlanEditor {...props} />
    </Suspense>
  );
}
