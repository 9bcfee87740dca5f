import { Button, Group } from '@mantine/core';
import { useState } from 'react';

/**
 * Cursor paging of a connection, newest first, as the lists page it (runs, audit log): a stack of
 * `after` cursors whose last one is the page in view, so "Newer" is a pop and needs no `before`.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    after: cursors[cursors.length - 1] ?? null,
    hasNewer: cursors.length > 1,
    newer: () => setCursors((c) => c.slice(0, -1)),
    older: (endCursor: string | null) => setCursors((c) => [...c, endCursor]),
    /** Back to the first page (a filter changed). */
    reset: () => setCursors([null]),
  };
}

export type CursorPages = ReturnType<typeof useCursorPages>;

/** The Newer / Older buttons under a paged list. */
export function Pager({
  pages,
  pageInfo,
}: {
  pages: CursorPages;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
}) {
  return (
    <Group gap="xs" mt="xs">
      <Button variant="default" size="xs" disabled={!pages.hasNewer} onClick={pages.newer}>
        Newer
      </Button>
      <Button
        variant="default"
        size="xs"
        disabled={!pageInfo?.hasNextPage}
        onClick={() => pages.older(pageInfo?.endCursor ?? null)}
      >
        Older
      </Button>
    </Group>
  );
}
