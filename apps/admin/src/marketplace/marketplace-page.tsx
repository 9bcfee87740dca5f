import { useQuery } from '@apollo/client/react';
import { Badge, Card, Group, SimpleGrid, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link, useSearchParams } from 'react-router';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { MARKETPLACE } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';

/**
 * The marketplace: published plugins, searched by name or description. The search lives in the
 * URL's `?q=` so a reload or a shared link shows the same results.
 */
export function MarketplacePage() {
  const { workspace } = useWorkspace();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  // Typing updates the URL at once; the API is asked once the typing pauses.
  const [search] = useDebouncedValue(q.trim(), 250);
  const { data, loading, error } = useQuery(MARKETPLACE, {
    variables: { slug: workspace.slug, ...(search === '' ? {} : { search }) },
    fetchPolicy: 'cache-and-network',
  });
  const installed = new Map(
    (data?.workspace?.installedPlugins ?? []).map((i) => [i.pluginVersion.plugin.id, i.pluginVersion.version]),
  );
  const plugins = data?.marketplace.edges.map((e) => e.node) ?? [];
  return (
    <section aria-label="Marketplace">
      <TextInput
        label="Search plugins"
        placeholder="name or description"
        value={q}
        onChange={(e) => setParams(e.currentTarget.value === '' ? {} : { q: e.currentTarget.value }, { replace: true })}
        maw={420}
        mb="md"
      />
      {error ? (
        <ErrorNote error={error} />
      ) : loading && !data ? (
        <Loading what="plugins" />
      ) : plugins.length === 0 ? (
        <Empty>{search === '' ? 'No plugin is published yet.' : `No plugin matches “${search}”.`}</Empty>
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} className="plugin-list">
          {plugins.map((p) => {
            const version = installed.get(p.id);
            return (
              <Card key={p.id} withBorder padding="sm" className="plugin-card" data-plugin={p.name}>
                <Group justify="space-between" wrap="wrap" gap="xs">
                  <Link to={paths.plugin(workspace.slug, p.name)}>
                    <strong>{p.name}</strong>
                  </Link>
                  {version !== undefined ? (
                    <Badge color="green" variant="light">
                      installed {version}
                    </Badge>
                  ) : (
                    <Badge color="gray" variant="light">
                      not installed
                    </Badge>
                  )}
                </Group>
                <Text size="sm" c="dimmed">
                  by {p.publisher} · latest {p.versions[0]?.version ?? '—'}
                </Text>
                <Text size="sm" mt={4} className="wrap-words">
                  {p.description ?? 'No description.'}
                </Text>
              </Card>
            );
          })}
        </SimpleGrid>
      )}
    </section>
  );
}
