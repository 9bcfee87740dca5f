import { ApolloProvider } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { createApolloClient } from './graphql/client.ts';
import { LoginPage } from './pages/login-page.tsx';
import { WorkspacePage } from './pages/workspace-page.tsx';
import { WorkspacesPage } from './pages/workspaces-page.tsx';
import { session } from './session.ts';

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
        {token !== null && (
          <button type="button" onClick={() => signIn(null)}>
            Log out
          </button>
        )}
      </header>
      <main>
        {token === null ? (
          <LoginPage onToken={signIn} />
        ) : slug === null ? (
          <WorkspacesPage onOpen={setSlug} />
        ) : (
          <WorkspacePage slug={slug} />
        )}
      </main>
    </ApolloProvider>
  );
}
