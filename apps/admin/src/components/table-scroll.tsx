import { Table } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * A wide table scrolls in its own box on a narrow screen instead of widening the page. The box
 * takes focus, so a keyboard can scroll it even when nothing inside is focusable (a viewer sees
 * the row buttons disabled); it is a named region so that tab stop is announced as what it is.
 * Positioned, so visually hidden header text (absolutely placed) stays inside the box rather than
 * widening the page.
 */
export function TableScroll({ label, minWidth, children }: { label: string; minWidth: number; children: ReactNode }) {
  return (
    <Table.ScrollContainer
      type="native"
      pos="relative"
      minWidth={minWidth}
      tabIndex={0}
      role="region"
      aria-label={label}
    >
      {children}
    </Table.ScrollContainer>
  );
}
