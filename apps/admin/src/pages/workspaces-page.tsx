import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { Link } from 'react-router';
import { FieldError, useFormErrors } from '../components/form-errors.tsx';
import { FormSection } from '../components/form-section.tsx';
import { usePageTitle } from '../components/page-title.ts';
import { useSession } from '../components/session-context.ts';
import { attempt, describeError } from '../errors.ts';
import { CREATE_WORKSPACE, VIEWER } from '../graphql/operations.ts';

/** The signed-in user's workspaces with their role in each, and a form to create one. */
export function WorkspacesPage() {
  const onSignedOut = useSession().signOut;
  const { data, loading, error, refetch } = useQuery(VIEWER);
  const [createWorkspace] = useMutation(CREATE_WORKSPACE);
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const errors = useFormErrors(['slug', 'name']);
  usePageTitle('Your workspaces');

  async function create() {
    const outcome = await attempt(
      () => createWorkspace({ variables: { input: { slug, name } } }),
      (result) => ({ userErrors: result.data?.createWorkspace.userErrors }),
    );
    errors.report(outcome);
    if (outcome.problem === null) {
      setSlug('');
      setName('');
      await refetch();
    }
  }

  if (loading && !data) return <p>Loading…</p>;
  if (error) return <p className="error">{describeError(error)}</p>;
  if (!data?.viewer) {
    // The stored token no longer signs anyone in (revoked or expired).
    return (
      <p className="error">
        Your session has ended.{' '}
        <button type="button" className="link" onClick={onSignedOut}>
          Log in again
        </button>
      </p>
    );
  }
  const memberships = data.viewer.memberships;
  return (
    <section>
      <h2>Your workspaces</h2>
      {memberships.length === 0 ? (
        <p>You do not belong to any workspace yet. Create one, or ask an admin to add you.</p>
      ) : (
        <table aria-label="Workspaces">
          <thead>
            <tr>
              <th>Workspace</th>
              <th>Slug</th>
              <th>Your role</th>
            </tr>
          </thead>
          <tbody>
            {memberships.map((m) => (
              <tr key={m.workspace.id}>
                <td>
                  <Link to={`/w/${encodeURIComponent(m.workspace.slug)}/runs`}>{m.workspace.name}</Link>
                </td>
                <td>{m.workspace.slug}</td>
                <td>{m.role}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormSection title="New workspace" submitLabel="Create workspace" onSubmit={create} error={errors.formError}>
        <label>
          Slug <input required value={slug} onChange={(e) => setSlug(e.target.value)} />
        </label>
        <FieldError message={errors.fieldError('slug')} />
        <label>
          Name <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <FieldError message={errors.fieldError('name')} />
      </FormSection>
    </section>
  );
}
