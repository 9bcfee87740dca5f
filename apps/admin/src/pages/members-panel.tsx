import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { FieldError, useFormErrors } from '../components/form-errors.tsx';
import { attempt, type UserError } from '../errors.ts';
import { ADD_MEMBER, CHANGE_MEMBER_ROLE, REMOVE_MEMBER } from '../graphql/operations.ts';
import { type Member, ROLES, type Role } from './types.ts';

// Each member change aliases its field `payload` (operations.ts), so one helper reads them all.
type Payload = { payload: { userErrors: UserError[] } };

/** Members and roles; the controls show only to admins (the API enforces it regardless). */
const ONLY_ADMINS = 'Only admins can add members or change roles.';

export function MembersPanel(props: {
  workspaceId: string;
  isAdmin: boolean;
  viewerId: string | undefined;
  members: Member[];
  onChange: () => Promise<unknown>;
}) {
  const [addMember] = useMutation(ADD_MEMBER);
  const [changeRole] = useMutation(CHANGE_MEMBER_ROLE);
  const [removeMember] = useMutation(REMOVE_MEMBER);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('MEMBER');
  const [problem, setProblem] = useState<string | null>(null);

  const addErrors = useFormErrors(['email', 'role']);

  async function run(action: () => Promise<{ data?: Payload | null }>): Promise<boolean> {
    const { problem: message } = await attempt(action, (result) => ({ userErrors: result.data?.payload.userErrors }));
    setProblem(message);
    await props.onChange();
    return message === null;
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
    await props.onChange();
    if (outcome.problem === null) setEmail('');
  }

  return (
    <section>
      <table aria-label="Members">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.members.map((m) => (
            <tr key={m.user.id}>
              <td>
                {m.user.email}
                {m.user.id === props.viewerId && ' (you)'}
              </td>
              <td>{m.user.name}</td>
              <td>
                {props.isAdmin ? (
                  <select
                    aria-label={`Role of ${m.user.email}`}
                    value={m.role}
                    onChange={(e) =>
                      run(() =>
                        changeRole({
                          variables: {
                            input: { workspaceId: props.workspaceId, userId: m.user.id, role: e.target.value as Role },
                          },
                        }),
                      )
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                ) : (
                  m.role
                )}
              </td>
              {
                <td>
                  <button
                    type="button"
                    disabled={!props.isAdmin}
                    title={props.isAdmin ? undefined : ONLY_ADMINS}
                    aria-label={`Remove ${m.user.email}`}
                    onClick={() => {
                      if (!window.confirm(`Remove ${m.user.email} from this workspace?`)) return;
                      void run(() =>
                        removeMember({ variables: { input: { workspaceId: props.workspaceId, userId: m.user.id } } }),
                      );
                    }}
                  >
                    Remove
                  </button>
                </td>
              }
            </tr>
          ))}
        </tbody>
      </table>
      {problem !== null && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {!props.isAdmin && <p className="hint">{ONLY_ADMINS}</p>}
      <form className="card" onSubmit={add}>
        {/* Shown to everyone, usable by admins: a control a role cannot use is disabled, not hidden. */}
        <fieldset disabled={!props.isAdmin} className="plain">
          <h3>Add a member</h3>
          <label>
            Email <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <FieldError message={addErrors.fieldError('email')} />
          <label>
            Role{' '}
            <select aria-label="New member's role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <FieldError message={addErrors.fieldError('role')} />
          {addErrors.formError !== null && (
            <p className="error" role="alert">
              {addErrors.formError}
            </p>
          )}
          <button type="submit">Add member</button>
        </fieldset>
      </form>
    </section>
  );
}
