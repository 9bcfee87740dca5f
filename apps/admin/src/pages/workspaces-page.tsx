import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { CREATE_WORKSPACE, VIEWER } from '../graphql/operations.ts';
import { describeErrors, type UserError } from '../session.ts';

interface ViewerData {
  viewer: {
    email: string;
    memberships: { role: string; workspace: { id: string; slug: string; name: string } }[];
  } | null;
}

export function WorkspacesPage({ onOpen }: { onOpen: (slug: string) => void }) {
  const { data, loading, error, refetch } = useQuery<ViewerData>(VIEWER);
  const [createWorkspace] = useMutation<{ createWorkspace: { userErrors: UserError[] } }>(CREATE_WORKSPACE);
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  async function create(event: FormEvent) {
    event.preventDefault();
    const result = await createWorkspace({ variables: { input: { slug, name } } });
    const message = describeErrors(result.data?.createWorkspace.userErrors);
    setProblem(message);
    if (message === null) {
      setSlug('');
      setName('');
      await refetch();
    }
  }

  if (loading) return <p>Loading…</p>;
  if (error) return <p className="error">{error.message}</p>;
  return (
    <section>
      <h2>Your workspaces</h2>
      <table>
        <thead>
          <tr>
            <th>Workspace</th>
            <th>Slug</th>
            <th>Your role</th>
          </tr>
        </thead>
        <tbody>
          {data?.viewer?.memberships.map((m) => (
            <tr key={m.workspace.id}>
              <td>
                <button type="button" className="link" onClick={() => onOpen(m.workspace.slug)}>
                  {m.workspace.name}
                </button>
              </td>
              <td>{m.workspace.slug}</td>
              <td>{m.role}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="card" onSubmit={create}>
        <h3>New workspace</h3>
        <label>
          Slug <input required pattern="[a-z0-9][a-z0-9-]+" value={slug} onChange={(e) => setSlug(e.target.value)} />
        </label>
        <label>
          Name <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        {problem !== null && <p className="error">{problem}</p>}
        <button type="submit">Create</button>
      </form>
    </section>
  );
}
