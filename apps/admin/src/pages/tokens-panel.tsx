import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { FieldError, useFormErrors } from '../components/form-errors.tsx';
import { attempt, describeError, type UserError } from '../errors.ts';
import { CREATE_API_TOKEN, REVOKE_TOKEN, VIEWER_TOKENS } from '../graphql/operations.ts';

interface Created {
  id: string;
  name: string;
  token: string;
  expiresAt: string | null;
}

const when = (at: string | null) => (at === null ? '—' : new Date(at).toLocaleString());

/**
 * Creates personal API tokens for this workspace and lists the live ones (never their secrets,
 * which the API keeps only as hashes: a new token's secret is shown once, here).
 */
export function TokensPanel({ workspaceId }: { workspaceId: string }) {
  const [createToken] = useMutation(CREATE_API_TOKEN);
  const [revokeToken] = useMutation(REVOKE_TOKEN);
  const [name, setName] = useState('');
  const [days, setDays] = useState('365');
  const [created, setCreated] = useState<Created[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const errors = useFormErrors(['name', 'expiresInDays']);
  const listed = useQuery(VIEWER_TOKENS, { fetchPolicy: 'network-only' });
  const live = (listed.data?.viewer?.tokens ?? []).filter((t) => t.kind === 'api' && t.workspace?.id === workspaceId);

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
      <form className="card" onSubmit={create}>
        <h3>New API token</h3>
        <label>
          Name <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <FieldError message={errors.fieldError('name')} />
        <label>
          Expires in days <input type="number" min="1" value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <FieldError message={errors.fieldError('expiresInDays')} />
        {(errors.formError ?? problem) !== null && (
          <p className="error" role="alert">
            {errors.formError ?? problem}
          </p>
        )}
        <button type="submit">Create token</button>
      </form>
      {created.map((t) => (
        <div key={t.id} className="card">
          <strong>{t.name}</strong>
          <p>Copy this token now; it will not be shown again.</p>
          <code className="secret">{t.token}</code>
          {t.expiresAt !== null && <small>Expires {new Date(t.expiresAt).toLocaleString()}</small>}
          <button type="button" onClick={() => revoke(t.id)}>
            Revoke
          </button>
        </div>
      ))}
      {listed.error && <p className="error">{describeError(listed.error)}</p>}
      <table aria-label="Your API tokens">
        <thead>
          <tr>
            <th>Name</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {live.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td>{when(t.createdAt)}</td>
              <td>{when(t.expiresAt)}</td>
              <td>{when(t.lastUsedAt)}</td>
              <td>
                <button type="button" onClick={() => revoke(t.id)}>
                  Revoke {t.name}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
