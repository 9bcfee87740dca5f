import { useMutation, useQuery } from '@apollo/client/react';
import { Alert, Badge, Button, Fieldset, Group, NativeSelect, Table, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { useFormErrors } from '../components/form-errors.tsx';
import { ErrorNote, Loading } from '../components/states.tsx';
import { TableScroll } from '../components/table-scroll.tsx';
import { attempt, type UserError } from '../errors.ts';
import { ADD_MEMBER, CHANGE_MEMBER_ROLE, MEMBERS, REMOVE_MEMBER } from '../graphql/operations.ts';
import { ROLES, type Role } from './types.ts';

// Each member change aliases its field `payload` (operations.ts), so one helper reads them all.
type Payload = { payload: { userErrors: UserError[] } };

/** Why the controls are disabled for everyone but admins (the API enforces it regardless). */
const ONLY_ADMINS = 'Only admins can add members or change roles.';

/**
 * Members, their roles and whether they have signed up yet. Admins invite by email (an address
 * without an account becomes a member that signing up with it completes), change roles and remove
 * members after confirming; everyone else sees the same controls disabled, with the reason.
 */
export function MembersPanel(props: {
  slug: string;
  workspaceId: string;
  isAdmin: boolean;
  viewerId: string | undefined;
  onChange: () => Promise<unknown>;
}) {
  const listed = useQuery(MEMBERS, { variables: { slug: props.slug }, fetchPolicy: 'cache-and-network' });
  const [addMember, adding] = useMutation(ADD_MEMBER);
  const [changeRole] = useMutation(CHANGE_MEMBER_ROLE);
  const [removeMember] = useMutation(REMOVE_MEMBER);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('MEMBER');
  const [problem, setProblem] = useState<string | null>(null);
  const addErrors = useFormErrors(['email', 'role']);
  const members = listed.data?.workspace?.members.edges.map((e) => e.node) ?? [];
  const refresh = async () => {
    await Promise.all([listed.refetch(), props.onChange()]);
  };

  async function run(action: () => Promise<{ data?: Payload | null }>): Promise<void> {
    const { problem: message } = await attempt(action, (result) => ({ userErrors: result.data?.payload.userErrors }));
    setProblem(message);
    await refresh();
  }

  async function add(event: FormEvent) {
    event.preventDefault();
    const input = { workspaceId: props.workspaceId, email, role };
    const outcome = await attempt(
      () => addMember({ variables: { input } }),
      (result) => ({ userErrors: result.data?.payload.userErrors }),
    );
    addErrors.report(outcome);
    setProblem(null);
    await refresh();
    if (outcome.problem === null) setEmail('');
  }

  if (listed.error) return <ErrorNote error={listed.error} />;
  if (listed.loading && !listed.data) return <Loading what="members" />;
  return (
    <section>
      <TableScroll label="Members table" minWidth={560}>
        <Table aria-label="Members" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Email</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>
                <span className="visually-hidden">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {members.map((m) => (
              <Table.Tr key={m.user.id}>
                <Table.Td>
                  {m.user.email}
                  {m.user.id === props.viewerId && ' (you)'}
                </Table.Td>
                <Table.Td>{m.user.name}</Table.Td>
                <Table.Td>
                  {props.isAdmin ? (
                    <NativeSelect
                      size="xs"
                      aria-label={`Role of ${m.user.email}`}
                      value={m.role}
                      data={[...ROLES]}
                      onChange={(e) => {
                        const next = e.currentTarget.value as Role;
                        void run(() =>
                          changeRole({
                            variables: { input: { workspaceId: props.workspaceId, userId: m.user.id, role: next } },
                          }),
                        );
                      }}
                    />
                  ) : (
                    m.role
                  )}
                </Table.Td>
                <Table.Td>
                  {m.invited ? (
                    <Badge color="yellow" variant="light" className="invited">
                      invited, has not signed up
                    </Badge>
                  ) : (
                    <Badge color="green" variant="light">
                      active
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <ConfirmButton
                    label="Remove"
                    ariaLabel={`Remove ${m.user.email}`}
                    color="red"
                    question={`Remove ${m.user.email} from this workspace? Their API tokens for it stop working.`}
                    disabledReason={props.isAdmin ? null : ONLY_ADMINS}
                    onConfirm={() =>
                      run(() =>
                        removeMember({ variables: { input: { workspaceId: props.workspaceId, userId: m.user.id } } }),
                      )
                    }
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
      {problem !== null && (
        <Alert color="red" role="alert" mt="xs" className="error">
          {problem}
        </Alert>
      )}
      {!props.isAdmin && (
        <Text size="sm" c="dimmed" mt="xs" className="hint">
          {ONLY_ADMINS}
        </Text>
      )}
      <form onSubmit={add}>
        {/* Shown to everyone, usable by admins: a control a role cannot use is disabled, not hidden. */}
        <Fieldset legend="Add a member" disabled={!props.isAdmin} mt="md" maw={480}>
          <Text size="sm" c="dimmed" mb="xs">
            An address without an account is invited: it joins as soon as someone signs up with it.
          </Text>
          <TextInput
            label="Email"
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={addErrors.fieldError('email')}
          />
          <NativeSelect
            label="New member's role"
            mt="xs"
            value={role}
            data={[...ROLES]}
            onChange={(e) => setRole(e.currentTarget.value as Role)}
            error={addErrors.fieldError('role')}
          />
          {addErrors.formError !== null && (
            <Alert color="red" role="alert" mt="xs" className="error">
              {addErrors.formError}
            </Alert>
          )}
          <Group mt="sm">
            <Button type="submit" loading={adding.loading}>
              Add member
            </Button>
          </Group>
        </Fieldset>
      </form>
    </section>
  );
}
