import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { ADD_MEMBER, CHANGE_MEMBER_ROLE, REMOVE_MEMBER } from '../graphql/operations.ts';
import { describeErrors, type UserError } from '../session.ts';

const ROLES = ['ADMIN', 'MEMBER', 'VIEWER'] as const;

export interface Member {
  role: string;
  user: { id: string; email: string; name: string | null };
}

type Result = Record<string, { userErrors: UserError[] }>;

/** Members and roles; the controls show only to admins (the API enforces it regardless). */
export function MembersPanel(props: {
  workspaceId: string;
  isAdmin: boolean;
  members: Member[];
  onChange: () => void;
}) {
  const [addMember] = useMutation<Result>(ADD_MEMBER);
  const [changeRole] = useMutation<Result>(CHANGE_MEMBER_ROLE);
  const [removeMember] = useMutation<Result>(REMOVE_MEMBER);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<string>('MEMBER');
  const [problem, setProblem] = useState<string | null>(null);

  async function run(action: Promise<{ data?: Result | null }>, key: string) {
    const result = await action;
    const message = describeErrors(result.data?.[key]?.userErrors);
    setProblem(message);
    if (message === null) props.onChange();
  }

  async function add(event: FormEvent) {
    event.preventDefault();
    await run(addMember({ variables: { input: { workspaceId: props.workspaceId, email, role } } }), 'addMember');
    setEmail('');
  }

  return (
    <section>
      <table>
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            {props.isAdmin && <th />}
          </tr>
        </thead>
        <tbody>
          {props.members.map((m) => (
            <tr key={m.user.id}>
              <td>{m.user.email}</td>
              <td>{m.user.name}</td>
              <td>
                {props.isAdmin ? (
                  <select
                    value={m.role}
                    onChange={(e) =>
                      run(
                        changeRole({
                          variables: {
                            input: { workspaceId: props.workspaceId, userId: m.user.id, role: e.target.value },
                          },
                        }),
                        'changeMemberRole',
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
              {props.isAdmin && (
                <td>
                  <button
                    type="button"
                    onClick={() =>
                      run(
                        removeMember({ variables: { input: { workspaceId: props.workspaceId, userId: m.user.id } } }),
                        'removeMember',
                      )
                    }
                  >
                    Remove
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {problem !== null && <p className="error">{problem}</p>}
      {props.isAdmin && (
        <form className="card" onSubmit={add}>
          <h3>Add a member</h3>
          <label>
            Email <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label>
            Role{' '}
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <button type="submit">Add</button>
        </form>
      )}
    </section>
  );
}
