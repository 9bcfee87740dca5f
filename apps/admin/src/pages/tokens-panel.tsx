import { useMutation, useQuery } from '@apollo/client/react';
import { Alert, Badge, Button, Card, Code, Group, Table, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { useFormErrors } from '../components/form-errors.tsx';
import { ErrorNote } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { attempt, type UserError } from '../errors.ts';
import {
  CREATE_API_TOKEN,
  MY_TOKENS,
  REVOKE_TOKEN,
  REVOKE_WORKSPACE_API_TOKEN,
  WORKSPACE_API_TOKENS,
} from '../graphql/operations.ts';

interface Created {
  id: string;
  name: string;
  token: string;
  expiresAt: string | null;
}

const when = (at: string | null) => (at === null ? '—' : new Date(at).toLocaleString());

/** Why members see no one else's tokens (the API refuses them too). */
const ONLY_ADMINS = "Only admins see and revoke other members' API tokens.";

/** Every API token of the workspace, with its owner, revocable: admins only. */
function WorkspaceTokens({ slug, workspaceId }: { slug: string; workspaceId: string }) {
  const listed = useQuery(WORKSPACE_API_TOKENS, { variables: { slug }, fetchPolicy: 'network-only' });
  const [revoke] = useMutation(REVOKE_WORKSPACE_API_TOKEN);
  const [problem, setProblem] = useState<string | null>(null);
  const tokens = listed.data?.workspace?.apiTokens ?? [];
  async function revokeOne(tokenId: string) {
    const { problem: message } = await attempt(
      () => revoke({ variables: { input: { workspaceId, tokenId } } }),
      (result) => ({ userErrors: result.data?.revokeWorkspaceApiToken.userErrors }),
    );
    setProblem(message);
    await listed.refetch();
  }
  return (
    <section>
      <Title order={3} mt="lg" mb="xs">
        All API tokens of this workspace
      </Title>
      {listed.error && <ErrorNote error={listed.error} />}
      {problem !== null && (
        <Alert color="red" role="alert" className="error">
          {problem}
        </Alert>
      )}
      <TableScroll label="Workspace API tokens table" minWidth={640}>
        <Table aria-label="Workspace API tokens" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Owner</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>
                <span className="visually-hidden">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tokens.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>{t.name}</Table.Td>
                <Table.Td>{t.owner.name === null ? t.owner.email : `${t.owner.name} (${t.owner.email})`}</Table.Td>
                <Table.Td>{when(t.createdAt)}</Table.Td>
                <Table.Td>{when(t.lastUsedAt)}</Table.Td>
                <Table.Td>{when(t.expiresAt)}</Table.Td>
                <Table.Td>
                  <ConfirmButton
                    label="Revoke"
                    ariaLabel={`Revoke ${t.owner.email}'s token ${t.name ?? ''}`}
                    color="red"
                    question={`Revoke ${t.owner.email}'s API token “${t.name ?? ''}”? Anything using it stops working at once.`}
                    onConfirm={() => revokeOne(t.id)}
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
    </section>
  );
}

/**
 * The viewer's tokens (sign-in sessions and API tokens, never their secrets: the API keeps only
 * hashes, so a new token's secret is shown once, here), a form for a new API token for this
 * workspace and, for admins, every member's API tokens.
 */
export function TokensPanel({ slug, workspaceId, isAdmin }: { slug: string; workspaceId: string; isAdmin: boolean }) {
  const [createToken, creating] = useMutation(CREATE_API_TOKEN);
  const [revokeToken] = useMutation(REVOKE_TOKEN);
  const [name, setName] = useState('');
  const [days, setDays] = useState('365');
  const [created, setCreated] = useState<Created[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const errors = useFormErrors(['name', 'expiresInDays']);
  const listed = useQuery(MY_TOKENS, { fetchPolicy: 'network-only' });
  const mine = listed.data?.viewer?.tokens ?? [];

  async function create(event: FormEvent) {
    event.preventDefault();
    const outcome = await attempt(
      () => createToken({ variables: { input: { workspaceId, name, expiresInDays: Number(days) } } }),
      (result): { userErrors: UserError[] | undefined; value?: Created } => {
        const payload = result.data?.createApiToken;
        if (!payload?.token || !payload.apiToken) return { userErrors: payload?.userErrors };
        const { id, expiresAt } = payload.apiToken;
        return { userErrors: payload.userErrors, value: { id, name, token: payload.token, expiresAt } };
      },
    );
    errors.report(outcome);
    setProblem(null);
    const made = outcome.value;
    if (made !== undefined) {
      setCreated((list) => [made, ...list]);
      setName('');
      await listed.refetch();
    }
  }

  async function revoke(id: string) {
    const { problem: message } = await attempt(
      () => revokeToken({ variables: { input: { tokenId: id } } }),
      (result) => ({ userErrors: result.data?.revokeToken.userErrors }),
    );
    setProblem(message);
    if (message === null) setCreated((list) => list.filter((t) => t.id !== id));
    await listed.refetch();
  }

  return (
    <section>
      <form onSubmit={create}>
        <Card withBorder maw={480} mb="md">
          <Title order={3} mb="xs">
            New API token
          </Title>
          <TextInput
            label="Name"
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={errors.fieldError('name')}
          />
          <TextInput
            label="Expires in days"
            type="number"
            min={1}
            mt="xs"
            value={days}
            onChange={(e) => setDays(e.currentTarget.value)}
            error={errors.fieldError('expiresInDays')}
          />
          {(errors.formError ?? problem) !== null && (
            <Alert color="red" role="alert" mt="xs" className="error">
              {errors.formError ?? problem}
            </Alert>
          )}
          <Group mt="sm">
            <Button type="submit" loading={creating.loading}>
              Create token
            </Button>
          </Group>
        </Card>
      </form>
      {created.map((t) => (
        <Card key={t.id} withBorder className="card" mb="sm" maw={640}>
          <Text fw={600}>{t.name}</Text>
          <Text size="sm">Copy this token now; it will not be shown again.</Text>
          <Code className="secret">{t.token}</Code>
          {t.expiresAt !== null && <Text size="xs">Expires {new Date(t.expiresAt).toLocaleString()}</Text>}
          <Group mt="xs">
            <Button size="xs" color="red" variant="light" onClick={() => revoke(t.id)}>
              Revoke
            </Button>
          </Group>
        </Card>
      ))}
      {listed.error && <ErrorNote error={listed.error} />}
      <Title order={3} mb="xs">
        Your tokens
      </Title>
      <TableScroll label="Your tokens table" minWidth={640}>
        <Table aria-label="Your tokens" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Workspace</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>
                <span className="visually-hidden">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {mine.map((t) => {
              const label = t.name ?? (t.kind === 'session' ? 'sign-in session' : 'unnamed');
              return (
                <Table.Tr key={t.id}>
                  <Table.Td>{label}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={t.kind === 'api' ? 'blue' : 'gray'}>
                      {t.kind === 'api' ? 'API token' : 'session'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{t.workspace?.name ?? 'all of yours'}</Table.Td>
                  <Table.Td>{when(t.createdAt)}</Table.Td>
                  <Table.Td>{when(t.lastUsedAt)}</Table.Td>
                  <Table.Td>{when(t.expiresAt)}</Table.Td>
                  <Table.Td>
                    <ConfirmButton
                      label="Revoke"
                      ariaLabel={`Revoke ${label}`}
                      color="red"
                      question={
                        t.kind === 'api'
                          ? `Revoke the API token “${label}”? Anything using it stops working at once.`
                          : 'Revoke this sign-in session? If it is the one you are using, you are logged out.'
                      }
                      onConfirm={() => revoke(t.id)}
                    />
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </TableScroll>
      {isAdmin ? (
        <WorkspaceTokens slug={slug} workspaceId={workspaceId} />
      ) : (
        <Text size="sm" c="dimmed" mt="md" className="hint">
          {ONLY_ADMINS}
        </Text>
      )}
    </section>
  );
}
