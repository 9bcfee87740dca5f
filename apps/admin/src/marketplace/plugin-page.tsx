import { useQuery } from '@apollo/client/react';
import { Badge, Card, Group, Select, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { cannotManagePluginsReason } from '../components/role-hint.ts';
import { ErrorNote, Loading } from '../components/states.tsx';
import { PLUGIN_PAGE } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { paths } from '../paths.ts';
import { CapabilityList } from './capability-list.tsx';
import { JsonSchemaView } from './json-schema-view.tsx';
import { InstallPanel, UninstallPanel, UpgradePanel } from './plugin-actions.tsx';
import type { PluginVersionDetails } from './types.ts';

function VersionDetails({ version }: { version: PluginVersionDetails }) {
  return (
    <Stack gap="sm">
      <Card withBorder padding="sm" component="section" aria-label="Capabilities">
        <Title order={4}>Capabilities version {version.version} asks for</Title>
        <CapabilityList asks={version} />
      </Card>
      <Card withBorder padding="sm" component="section" aria-label="Tools">
        <Title order={4}>Tools</Title>
        {version.tools.map((tool) => (
          <div key={tool.name} className="tool" data-tool={tool.name}>
            <Text fw={600} mt="xs">
              <code>{tool.name}</code>
            </Text>
            <Text size="sm">{tool.description}</Text>
            <JsonSchemaView schema={tool.inputSchema} label={`${tool.name} input`} />
            <JsonSchemaView schema={tool.outputSchema} label={`${tool.name} output`} />
          </div>
        ))}
      </Card>
    </Stack>
  );
}

/** One plugin: its versions, what each asks for and offers; install, change version, uninstall. */
export function PluginPage() {
  const { workspace } = useWorkspace();
  const { name = '' } = useParams();
  const { data, loading, error, refetch } = useQuery(PLUGIN_PAGE, {
    variables: { slug: workspace.slug, name },
    fetchPolicy: 'cache-and-network',
  });
  const [viewedId, setViewedId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="the plugin" />;
  const plugin = data?.marketplace.edges.map((e) => e.node).find((p) => p.name === name);
  if (plugin === undefined) {
    return (
      <p className="error">
        No plugin named “{name}” is published.{' '}
        <Link to={paths.marketplace(workspace.slug)}>Back to the marketplace</Link>
      </p>
    );
  }
  const installation = data?.workspace?.installedPlugins.find((i) => i.pluginVersion.plugin.id === plugin.id);
  const viewed =
    plugin.versions.find((v) => v.id === viewedId) ??
    plugin.versions.find((v) => v.id === installation?.pluginVersion.id) ??
    plugin.versions[0];
  const cannot = cannotManagePluginsReason(workspace.viewerRole);
  const done = async (message: string) => {
    setNotice(message);
    await refetch();
  };
  const actionProps = { workspaceId: workspace.id, plugin, cannot, onDone: done };
  return (
    <section aria-label={`Plugin ${plugin.name}`}>
      <Text size="sm">
        <Link to={paths.marketplace(workspace.slug)}>← Marketplace</Link>
      </Text>
      <Group gap="sm" wrap="wrap" mt="xs">
        <Title order={3}>{plugin.name}</Title>
        {installation !== undefined ? (
          <Badge color="green" variant="light" className="installed">
            installed {installation.pluginVersion.version}
          </Badge>
        ) : (
          <Badge color="gray" variant="light" className="installed">
            not installed
          </Badge>
        )}
      </Group>
      <Text size="sm" c="dimmed">
        Published by {plugin.publisher}
      </Text>
      <Text className="wrap-words">{plugin.description ?? 'No description.'}</Text>
      <Text size="sm" c="dimmed" className="versions">
        {plugin.versions.length === 1 ? '1 version' : `${plugin.versions.length} versions`}:{' '}
        {plugin.versions.map((v) => v.version).join(', ')}
      </Text>
      {notice !== null && (
        <Text className="notice" role="status" mt="xs">
          {notice}
        </Text>
      )}
      {installation !== undefined && (
        <Text size="sm" mt="xs" className="grants">
          Granted:{' '}
          {installation.grantedCapabilities.length === 0 ? 'nothing' : installation.grantedCapabilities.join(', ')}
        </Text>
      )}
      <Stack gap="sm" mt="sm">
        {installation === undefined ? (
          viewed !== undefined && <InstallPanel key={viewed.id} {...actionProps} version={viewed} />
        ) : (
          <>
            <UpgradePanel key={installation.pluginVersion.id} {...actionProps} installation={installation} />
            <UninstallPanel {...actionProps} installation={installation} />
          </>
        )}
        <Select
          label="Versions (newest first)"
          data={plugin.versions.map((v) => ({
            value: v.id,
            label: v.id === installation?.pluginVersion.id ? `${v.version} (installed)` : v.version,
          }))}
          value={viewed?.id ?? null}
          onChange={setViewedId}
          allowDeselect={false}
          maw={240}
        />
        {viewed !== undefined && <VersionDetails version={viewed} />}
      </Stack>
    </section>
  );
}
