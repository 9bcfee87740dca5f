import { useMutation } from '@apollo/client/react';
import { Button, Card, Group, List, Select, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { FieldError, useFormErrors } from '../components/form-errors.tsx';
import { attempt } from '../errors.ts';
import { INSTALL_PLUGIN, UNINSTALL_PLUGIN, UPGRADE_PLUGIN } from '../graphql/operations.ts';
import { diffCapabilities, explainCapability, grantsFor } from './capabilities.ts';
import { GrantChecklist } from './grant-checklist.tsx';
import type { Installation, PluginDetails, PluginVersionDetails } from './types.ts';

interface ActionProps {
  workspaceId: string;
  plugin: PluginDetails;
  /** Why the viewer may not change installations, or null. */
  cannot: string | null;
  onDone: (notice: string) => Promise<unknown>;
}

/** The reason beside a disabled control: written out, since a tooltip does not exist on a phone. */
function Reason({ text }: { text: string | null }) {
  return text === null ? null : (
    <Text size="sm" c="dimmed" className="disabled-reason">
      {text}
    </Text>
  );
}

/** Installs the chosen version with an explicit checklist of grants. */
export function InstallPanel(props: ActionProps & { version: PluginVersionDetails }) {
  const { version } = props;
  const [install, { loading }] = useMutation(INSTALL_PLUGIN);
  const [optional, setOptional] = useState<Set<string>>(new Set());
  const errors = useFormErrors(['grantedCapabilities']);
  async function submit() {
    const outcome = await attempt(
      () =>
        install({
          variables: {
            input: {
              workspaceId: props.workspaceId,
              pluginVersionId: version.id,
              grantedCapabilities: grantsFor(version, optional),
            },
          },
        }),
      (result) => ({ userErrors: result.data?.installPlugin.userErrors }),
    );
    errors.report(outcome);
    if (outcome.problem === null) await props.onDone(`Installed ${props.plugin.name} ${version.version}.`);
  }
  return (
    <Card withBorder padding="sm" component="section" aria-label="Install">
      <Title order={4}>Install version {version.version}</Title>
      <Text size="sm" mb="xs">
        Grant what this version may do in this workspace:
      </Text>
      <GrantChecklist
        asks={version}
        optionalChosen={optional}
        onChange={setOptional}
        disabled={props.cannot !== null}
      />
      <FieldError message={errors.fieldError('grantedCapabilities')} />
      {errors.formError !== null && (
        <Text c="red" size="sm" role="alert">
          {errors.formError}
        </Text>
      )}
      <Group mt="sm" gap="xs" wrap="wrap">
        <Button
          size="xs"
          onClick={() => void submit()}
          loading={loading}
          disabled={props.cannot !== null}
          title={props.cannot ?? undefined}
        >
          Install {version.version}
        </Button>
        <Reason text={props.cannot} />
      </Group>
    </Card>
  );
}

function ChangeList({ title, changes }: { title: string; changes: { capability: string; required: boolean }[] }) {
  if (changes.length === 0) return null;
  return (
    <>
      <Text size="sm" fw={600}>
        {title}
      </Text>
      <List size="sm" aria-label={title}>
        {changes.map((c) => (
          <List.Item key={c.capability}>
            <code>{c.capability}</code> ({c.required ? 'required' : 'optional'}) — {explainCapability(c.capability)}
          </List.Item>
        ))}
      </List>
    </>
  );
}

const count = (n: number) => `${n} ${n === 1 ? 'capability' : 'capabilities'}`;

/** Moves the installation to another version, showing what capabilities that adds and removes first. */
export function UpgradePanel(props: ActionProps & { installation: Installation }) {
  const { installation, plugin } = props;
  const [upgrade, { loading }] = useMutation(UPGRADE_PLUGIN);
  const others = plugin.versions.filter((v) => v.id !== installation.pluginVersion.id);
  const current = plugin.versions.find((v) => v.id === installation.pluginVersion.id);
  const [targetId, setTargetId] = useState<string | null>(others[0]?.id ?? null);
  const target = others.find((v) => v.id === targetId);
  // Optional grants start as they are now: an upgrade does not widen what the admin chose.
  const [optional, setOptional] = useState<Set<string>>(() => new Set(installation.grantedCapabilities));
  const errors = useFormErrors(['grantedCapabilities', 'pluginVersionId']);
  if (others.length === 0 || current === undefined) {
    return <Text size="sm">No other version of {plugin.name} is published.</Text>;
  }
  const diff = target === undefined ? null : diffCapabilities(current, target);
  async function submit() {
    if (target === undefined) return;
    const outcome = await attempt(
      () =>
        upgrade({
          variables: {
            input: {
              id: installation.id,
              pluginVersionId: target.id,
              grantedCapabilities: grantsFor(target, optional),
            },
          },
        }),
      (result) => ({ userErrors: result.data?.upgradePlugin.userErrors }),
    );
    errors.report(outcome);
    if (outcome.problem === null) await props.onDone(`Moved ${plugin.name} to ${target.version}.`);
  }
  const summary =
    diff === null
      ? ''
      : diff.added.length + diff.removed.length + diff.nowRequired.length === 0
        ? 'It asks for the same capabilities.'
        : `It adds ${count(diff.added.length)} and removes ${count(diff.removed.length)}${
            diff.nowRequired.length > 0 ? `, and now requires ${diff.nowRequired.join(', ')}` : ''
          }.`;
  return (
    <Card withBorder padding="sm" component="section" aria-label="Change version">
      <Title order={4}>Change version</Title>
      <Select
        label="Move to version"
        data={others.map((v) => ({ value: v.id, label: v.version }))}
        value={targetId}
        onChange={setTargetId}
        allowDeselect={false}
        maw={240}
        disabled={props.cannot !== null}
      />
      <FieldError message={errors.fieldError('pluginVersionId')} />
      {target !== undefined && diff !== null && (
        <Stack gap={4} mt="xs" className="capability-diff" aria-label="Capability changes">
          <Text size="sm">
            From {current.version} to {target.version}: {summary}
          </Text>
          <ChangeList title="Added capabilities" changes={diff.added} />
          <ChangeList title="Removed capabilities" changes={diff.removed} />
          {diff.nowRequired.length > 0 && (
            <Text size="sm">Optional before, required now: {diff.nowRequired.join(', ')}</Text>
          )}
          <Text size="sm" fw={600} mt="xs">
            Grants for {target.version}
          </Text>
          <GrantChecklist
            asks={target}
            optionalChosen={optional}
            onChange={setOptional}
            disabled={props.cannot !== null}
          />
          <FieldError message={errors.fieldError('grantedCapabilities')} />
        </Stack>
      )}
      {errors.formError !== null && (
        <Text c="red" size="sm" role="alert">
          {errors.formError}
        </Text>
      )}
      <Group mt="sm" gap="xs" wrap="wrap">
        <ConfirmButton
          label={`Move to ${target?.version ?? '…'}`}
          question={`Move ${plugin.name} from ${current.version} to ${target?.version ?? ''}? ${summary}`}
          color="indigo"
          loading={loading}
          disabledReason={props.cannot ?? (target === undefined ? 'Pick a version first.' : null)}
          onConfirm={submit}
        />
        <Reason text={props.cannot} />
      </Group>
    </Card>
  );
}

/** Removes the installation (its kv data goes with it), after asking. */
export function UninstallPanel(props: ActionProps & { installation: Installation }) {
  const [uninstall, { loading }] = useMutation(UNINSTALL_PLUGIN);
  const [problem, setProblem] = useState<string | null>(null);
  async function submit() {
    const outcome = await attempt(
      () => uninstall({ variables: { input: { id: props.installation.id } } }),
      (result) => ({ userErrors: result.data?.uninstallPlugin.userErrors }),
    );
    setProblem(outcome.problem);
    if (outcome.problem === null) await props.onDone(`Uninstalled ${props.plugin.name}.`);
  }
  return (
    <Group gap="xs" wrap="wrap">
      <ConfirmButton
        label="Uninstall"
        color="red"
        question={`Uninstall ${props.plugin.name}? Its tools leave the workspace (plans calling them will fail) and its stored kv data is deleted.`}
        loading={loading}
        disabledReason={props.cannot}
        onConfirm={submit}
      />
      <Reason text={props.cannot} />
      {problem !== null && (
        <Text c="red" size="sm" role="alert">
          {problem}
        </Text>
      )}
    </Group>
  );
}
