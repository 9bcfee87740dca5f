import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { attempt, type UserError } from '../errors.ts';
import { CREATE_API_TOKEN, REVOKE_TOKEN } from '../graphql/operations.ts';

interface Created {
  id: string;
  name: string;
  token: string;
  expiresAt: string | null;
}

interface CreatePayload {
  createApiToken: {
    token: string | null;
    apiToken: { id: string; name: string | null; expiresAt: string | null } | null;
    userErrors: UserError[];
  };
}

/**
 * Creates personal API tokens for this workspace. The secret is shown once, here; the API keeps
 * only its hash and has no list of tokens yet, so only tokens made in this page can be revoked.
 */
export function TokensPanel({ workspaceId }: { workspaceId: string }) {
  const [createToken] = useMutation<CreatePayload>(CREATE_API_TOKEN);
  const [revokeToken] = useMutation<{ revokeToken: { userErrors: UserError[] } }>(REVOKE_TOKEN);
  const [name, setName] = useState('');
  const [days, setDays] = useState('365');
  const [created, setCreated] = useState<Created[]>([]);
  const [problem, setProblem] = useState<string | null>(null);

  async function create(event: FormEvent) {
    event.preventDefault();
    const { problem, value: made } = await attempt(
      () => createToken({ variables: { input: { workspaceId, name, expiresInDays: Number(days) } } }),
      (result): { userErrors: UserError[] | undefined; value?: Created } => {
        const payload = result.data?.createApiToken;
        if (!payload?.token || !payload.apiToken) return { userErrors: payload?.userErrors };
        const { id, expiresAt } = payload.apiToken;
        return { userErrors: payload.userErrors, value: { id, name, token: payload.token, expiresAt } };
      },
    );
    setProblem(problem);
    if (made !== undefined) {
      setCreated((list) => [made, ...list]);
      setName('');
    }
  }

  async function revoke(id: string) {
    const { problem: message } = await attempt(
      () => revokeToken({ variables: { input: { tokenId: id } } }),
      (result) => ({ userErrors: result.data?.revokeToken.userErrors }),
    );
    setProblem(message);
    if (message === null) setCreated((list) => list.filter((t) => t.id !== id));
  }

  return (
    <section>
      <form className="card" onSubmit={create}>
        <h3>New API token</h3>
        <label>
          Name <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Expires in days <input type="number" min="1" value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        {problem !== null && (
          <p className="error" role="alert">
            {problem}
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
    </section>
  );
}
