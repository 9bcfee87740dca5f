import { Anchor, Group, Text } from '@mantine/core';
import { Link } from 'react-router';
import { paths } from '../paths.ts';

interface Related {
  id: string;
  status?: string;
  planVersion?: { number: number; plan: { name: string } };
}

const nameOf = (run: Related, fallback: string) =>
  run.planVersion === undefined ? fallback : `${run.planVersion.plan.name} v${run.planVersion.number}`;

/**
 * Links between a sub-plan's run and the run that started it, and to the runs it started itself
 * (plan and map steps): real URLs, so each opens in place or in a new tab.
 */
export function RunFamily({
  slug,
  parent,
  childRuns,
  limit = 20,
}: {
  slug: string;
  parent: Related | null;
  childRuns: readonly Related[];
  /** A map step can start hundreds of runs: past this many, the rest are counted, not listed. */
  limit?: number;
}) {
  if (parent === null && childRuns.length === 0) return null;
  // Inside a clickable row the links must not also open the row's run.
  const stop = (e: React.MouseEvent) => e.stopPropagation();
  return (
    <Group gap={6} wrap="wrap" className="run-family" aria-label="Related runs" role="group">
      {parent !== null && (
        <Text size="xs" span>
          started by{' '}
          <Anchor component={Link} to={paths.run(slug, parent.id)} onClick={stop}>
            {nameOf(parent, 'its parent run')}
          </Anchor>
        </Text>
      )}
      {childRuns.length > 0 && (
        <Text size="xs" span>
          {childRuns.length} child run{childRuns.length === 1 ? '' : 's'}:{' '}
          {childRuns.slice(0, limit).map((c, i) => (
            <span key={c.id}>
              {i > 0 && ', '}
              <Anchor component={Link} to={paths.run(slug, c.id)} onClick={stop}>
                {nameOf(c, `#${i + 1}`)}
                {c.status === undefined ? '' : ` (${c.status})`}
              </Anchor>
            </span>
          ))}
          {childRuns.length > limit && ` and ${childRuns.length - limit} more`}
        </Text>
      )}
    </Group>
  );
}
