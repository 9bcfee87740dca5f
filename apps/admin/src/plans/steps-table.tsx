import { useQuery } from '@apollo/client/react';
import { Table, Text } from '@mantine/core';
import { TableScroll } from '../components/table-scroll.tsx';
import { WORKSPACE_TOOLS } from '../graphql/operations.ts';
import { sentences, sentencesAbout } from './explanation.ts';
import { stepsById } from './step-changes.ts';
import type { WorkspaceTool } from './types.ts';

function failureRate(tool: WorkspaceTool | undefined): string {
  const stats = tool?.stats;
  if (!stats || stats.calls === 0) return '—';
  return `${Math.round((stats.failures / stats.calls) * 100)} %`;
}

/**
 * Each step with what the workspace has learnt about its tool (calls, failure rate, median time,
 * from the engine's counts) and, for a draft, the planner's reasons for choosing it there.
 */
export function StepsTable({
  slug,
  spec,
  explanation,
}: {
  slug: string;
  spec: unknown;
  explanation?: string | null | undefined;
}) {
  const { data, error } = useQuery(WORKSPACE_TOOLS, { variables: { slug }, fetchPolicy: 'cache-and-network' });
  const tools = new Map((data?.workspace?.tools ?? []).map((t) => [t.name, t]));
  // A tool reference may pin a version (`http.request@^1`); statistics are per tool name.
  const steps = [...stepsById(spec)].map(([id, step]) => ({
    id,
    tool: typeof step.tool === 'string' ? (step.tool.split('@')[0] ?? step.tool) : null,
  }));
  const why = sentences(explanation);
  if (steps.length === 0) return null;
  return (
    <TableScroll label="Steps and their tools table" minWidth={560}>
      <Table aria-label="Steps and their tools" className="steps-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Step</Table.Th>
            <Table.Th>Tool</Table.Th>
            <Table.Th>Calls</Table.Th>
            <Table.Th>Failures</Table.Th>
            <Table.Th>p50</Table.Th>
            {explanation !== undefined && <Table.Th>Why this tool</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {steps.map((step) => {
            const tool = step.tool === null ? undefined : tools.get(step.tool);
            const p50 = tool?.stats?.p50Ms;
            return (
              <Table.Tr key={step.id} data-step={step.id}>
                <Table.Td>{step.id}</Table.Td>
                <Table.Td title={tool?.description}>
                  {step.tool ?? '—'}
                  {step.tool !== null && data !== undefined && tool === undefined && (
                    <Text span c="red" size="xs">
                      {' '}
                      (not in this workspace)
                    </Text>
                  )}
                </Table.Td>
                <Table.Td className="tool-calls">{tool?.stats?.calls ?? (tool ? 0 : '—')}</Table.Td>
                <Table.Td>{failureRate(tool)}</Table.Td>
                <Table.Td>{p50 === null || p50 === undefined ? '—' : `${Math.round(p50)} ms`}</Table.Td>
                {explanation !== undefined && (
                  <Table.Td className="step-why">
                    <Text size="xs">{sentencesAbout(why, step, steps).join(' ') || '—'}</Text>
                  </Table.Td>
                )}
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      {error !== undefined && (
        <Text size="xs" c="dimmed">
          Tool statistics are unavailable right now.
        </Text>
      )}
    </TableScroll>
  );
}
