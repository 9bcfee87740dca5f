import { useMutation, useQuery } from '@apollo/client/react';
import { Button, Card, Group, PasswordInput, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { FieldError, useFormErrors } from '../components/form-errors.tsx';
import { cannotManageSecretsReason } from '../components/role-hint.ts';
import { Empty, ErrorNote, Loading } from '../components/states.tsx';
import { attempt } from '../errors.ts';
import { DELETE_SECRET, SECRETS, SET_SECRET } from '../graphql/operations.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { describeAllowedHosts, parseAllowedHosts } from './allowed-hosts.ts';

/**
 * Sets or replaces a secret. The value field is a password input that is emptied once the API has
 * it: a secret's value never comes back from the API, nor stays in the page.
 */
interface Preset {
  name: string;
  hosts: string;
  nonce: number;
}

function SecretForm(props: {
  workspaceId: string;
  cannot: string | null;
  /** A secret to replace (its name and hosts filled in); a new `nonce` fills them in again. */
  preset: Preset | null;
  onSaved: (name: string) => Promise<unknown>;
}) {
  const [setSecret, { loading }] = useMutation(SET_SECRET);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [hosts, setHosts] = useState('');
  // Replace was clicked: fill the form in while rendering (React's way to reset state from a prop).
  const [filledFor, setFilledFor] = useState<number | null>(null);
  if (props.preset !== null && props.preset.nonce !== filledFor) {
    setFilledFor(props.preset.nonce);
    setName(props.preset.name);
    setHosts(props.preset.hosts);
    setValue('');
  }
  const errors = useFormErrors(['name', 'value', 'allowedHosts']);
  const disabled = props.cannot !== null;
  async function submit(event: FormEvent) {
    event.preventDefault();
    // Replacing with the hosts field untouched leaves the hosts as they were (the field absent):
    // the text form cannot tell "no host" ([]) from "the grants' hosts" (null) apart.
    const unchanged = props.preset !== null && props.preset.name === name && props.preset.hosts === hosts;
    const hostsInput = unchanged ? {} : { allowedHosts: parseAllowedHosts(hosts) };
    const outcome = await attempt(
      () =>
        setSecret({
          variables: { input: { workspaceId: props.workspaceId, name, value, ...hostsInput } },
        }),
      (result) => ({ userErrors: result.data?.setSecret.userErrors }),
    );
    errors.report(outcome);
    if (outcome.problem === null) {
      setValue('');
      setName('');
      setHosts('');
      await props.onSaved(name);
    }
  }
  return (
    <Card withBorder padding="sm" component="form" onSubmit={submit} maw={480} aria-label="Set a secret">
      <Title order={4}>Set or replace a secret</Title>
      <fieldset className="plain" disabled={disabled}>
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <FieldError message={errors.fieldError('name')} />
        <PasswordInput
          label="Value"
          description="Write-only: it is stored encrypted and never shown again."
          required
          autoComplete="new-password"
          value={value}
          onChange={(e) => setValue(e.currentTarget.value)}
        />
        <FieldError message={errors.fieldError('value')} />
        <TextInput
          label="Allowed hosts"
          description="Where plugins may send it, comma-separated (api.example.com, *.example.com, host:port). Empty: the hosts the plugin's http: grants name."
          value={hosts}
          onChange={(e) => setHosts(e.currentTarget.value)}
        />
        <FieldError message={errors.fieldError('allowedHosts')} />
      </fieldset>
      {errors.formError !== null && (
        <Text c="red" size="sm" role="alert">
          {errors.formError}
        </Text>
      )}
      <Group mt="sm" gap="xs" wrap="wrap">
        <Button type="submit" size="xs" loading={loading} disabled={disabled} title={props.cannot ?? undefined}>
          Save secret
        </Button>
        {props.cannot !== null && (
          <Text size="sm" c="dimmed" className="disabled-reason">
            {props.cannot}
          </Text>
        )}
      </Group>
    </Card>
  );
}

function SecretList(props: { slug: string; workspaceId: string; onReplace: (name: string, hosts: string) => void }) {
  const { data, loading, error, refetch } = useQuery(SECRETS, {
    variables: { slug: props.slug },
    fetchPolicy: 'cache-and-network',
  });
  const [remove] = useMutation(DELETE_SECRET);
  const [problem, setProblem] = useState<string | null>(null);
  if (error) return <ErrorNote error={error} />;
  if (loading && !data) return <Loading what="secrets" />;
  const secrets = data?.workspace?.secrets ?? [];
  async function del(name: string) {
    const outcome = await attempt(
      () => remove({ variables: { input: { workspaceId: props.workspaceId, name } } }),
      (result) => ({ userErrors: result.data?.deleteSecret.userErrors }),
    );
    setProblem(outcome.problem);
    await refetch();
  }
  return (
    <>
      {problem !== null && (
        <Text c="red" size="sm" role="alert">
          {problem}
        </Text>
      )}
      {secrets.length === 0 ? (
        <Empty>No secret is stored in this workspace.</Empty>
      ) : (
        <table aria-label="Secrets">
          <thead>
            <tr>
              <th>Name</th>
              <th>Updated</th>
              <th>Allowed hosts</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {secrets.map((s) => (
              <tr key={s.name}>
                <td>
                  <code>{s.name}</code>
                </td>
                <td>{new Date(s.updatedAt).toLocaleString()}</td>
                <td>{describeAllowedHosts(s.allowedHosts)}</td>
                <td>
                  <Group gap={4} wrap="nowrap">
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => props.onReplace(s.name, (s.allowedHosts ?? []).join(', '))}
                    >
                      Replace
                    </Button>
                    <ConfirmButton
                      label={`Delete ${s.name}`}
                      question={`Delete the secret ${s.name}? Plugin calls that read it will fail until it is set again.`}
                      onConfirm={() => del(s.name)}
                    />
                  </Group>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The workspace's secrets: names, dates and allowed hosts listed; values only ever written. */
export function SecretsPage() {
  const { workspace } = useWorkspace();
  const cannot = cannotManageSecretsReason(workspace.viewerRole);
  const [preset, setPreset] = useState<Preset | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [listKey, setListKey] = useState(0);
  return (
    <section aria-label="Secrets">
      {notice !== null && (
        <Text className="notice" role="status">
          {notice}
        </Text>
      )}
      <SecretForm
        workspaceId={workspace.id}
        cannot={cannot}
        preset={preset}
        onSaved={async (name) => {
          setNotice(`Saved ${name}.`);
          setListKey((k) => k + 1);
        }}
      />
      {cannot === null ? (
        <SecretList
          key={listKey}
          slug={workspace.slug}
          workspaceId={workspace.id}
          onReplace={(name, hosts) => setPreset((p) => ({ name, hosts, nonce: (p?.nonce ?? 0) + 1 }))}
        />
      ) : (
        <Text size="sm" c="dimmed" mt="sm">
          The list of secrets is for admins too: their names say which services the workspace talks to.
        </Text>
      )}
    </section>
  );
}
