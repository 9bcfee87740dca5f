import { ApolloProvider, useMutation, useQuery } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { createApolloClient } from './graphql/client.ts';
import { LOG_OUT, VIEWER } from './graphql/operations.ts';
import { LoginPage } from './pages/login-page.tsx';
import { WorkspacePage } from './pages/workspace-page.tsx';
import { WorkspacesPage } from './pages/workspaces-page.tsx';
import { session } from './session.ts';

function SignedInAs({ onLogOut }: { onLogOut: () => void }) {
  const { data } = useQuery(VIEWER);
  const [logOut] = useMutation(LOG_OUT);
  async function leave() {
    // The token is revoked server-side; if that fails (e.g. it already expired) we forget it anyway.
    await logOut().catch(() => undefined);
    onLogOut();
  }
  return (
    <div className="who">
      <span>{data?.viewer?.email}</span>
      <button type="button" onClick={leave}>
        Log out
      </button>
    </div>
  );
}

export function App() {
  const [token, setToken] = useState<string | null>(session.get());
  const [slug, setSlug] = useState<string | null>(null);
  // A new client per identity, so no cached data of one user is shown to the next.
  const client = useMemo(() => createApolloClient(() => token), [token]);

  function signIn(next: string | null) {
    session.set(next);
    setToken(next);
    setSlug(null);
  }

  return (
    <ApolloProvider client={client}>
      <header>
        <h1>
          <button type="button" className="link" onClick={() => setSlug(null)}>
            Weft admin
          </button>
        </h1>
        {token !== null && <SignedInAs onLogOut={() => signIn(null)} />}
      </header>
      <main>
        {token === null ? (
          <LoginPage onToken={signIn} />
        ) : slug === null ? (
          <WorkspacesPage onOpen={setSlug} onSignedOut={() => signIn(null)} />
        ) : (
          <WorkspacePage slug={slug} />
        )}
      </main>
    </ApolloProvider>
  );
}
