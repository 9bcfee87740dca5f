import { useQuery } from '@apollo/client/react';
import { Badge, Card, Group, SimpleGrid, Text } from '@mantine/core';
import { Link } from 'react-router';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { WORKSPACE_TOOLS } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import { JsonSchemaView } from './json-schema-view.tsx';
import type { WorkspaceTool } from './types.ts';

const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${Math.round(value)} ms`;

function ToolStats({ tool }: { tool: WorkspaceTool }) {
  const s = tool.stats;
  if (s === null || s === undefined || s.calls === 0) {
    return (
      <Text size="sm" c="dimmed">
        Not called in this workspace yet.
      </Text>
    );
  }
  return (
    <dl className="tool-stats" aria-label={`${tool.name} stats`}>
      <dt>Calls</dt>
      <dd>{s.calls}</dd>
      <dt>Failures</dt>
      <dd>{s.failures}</dd>
      <dt>p50</dt>
      <dd>{ms(s.p50Ms)}</dd>
      <dt>p95</dt>
      <dd>{ms(s.p95Ms)}</dd>
    </dl>
  );
}

/** The workspace's tool catalogue: built-ins and the installed plugins' tools, with use and schemas. */
export function ToolsPage() {
  const { workspace } = useWorkspace();
  const { data, loading, error } = useQuery(WORKSPACE_TOOLS, {
    variables: { slug: workspace.slug },
    fetchPolicy: 'cache-and-network',
  });
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="tools" />;
  const tools = data?.workspace?.tools ?? [];
  if (tools.length === 0) return <Empty>This workspace has no tools.</Empty>;
  return (
    <section aria-label="Tools">
      <Text size="sm" c="dimmed" mb="sm">
        {tools.length} tools. Stats count this workspace's finished calls (cache hits excluded).{' '}
        <Link to={paths.marketplace(workspace.slug)}>Add more from the marketplace</Link>.
      </Text>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {tools.map((tool) => (
          <Card key={tool.name} withBorder padding="sm" className="tool-card" data-tool={tool.name}>
            <Group gap="xs" wrap="wrap">
              <Text fw={600}>
                <code>{tool.name}</code>
              </Text>
              {tool.plugin === null || tool.plugin === undefined ? (
                <Badge variant="light" color="gray">
                  built-in
                </Badge>
              ) : (
                <Badge variant="light" color="indigo">
                  <Link to={paths.plugin(workspace.slug, tool.plugin.plugin.name)} className="badge-link">
                    {tool.plugin.plugin.name} {tool.plugin.version}
                  </Link>
                </Badge>
              )}
            </Group>
            <Text size="sm" className="wrap-words">
              {tool.description}
            </Text>
            <ToolStats tool={tool} />
            <details>
              <summary>Input and output</summary>
              <JsonSchemaView schema={tool.inputSchema} label={`${tool.name} input`} />
              <JsonSchemaView schema={tool.outputSchema} label={`${tool.name} output`} />
            </details>
          </Card>
        ))}
      </SimpleGrid>
    </section>
  );
}
