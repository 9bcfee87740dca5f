import { ApolloProvider, useMutation, useQuery } from '@apollo/client/react';
import { Button, Group, MantineProvider, Text } from '@mantine/core';
import { useCallback, useMemo, useState } from 'react';
import { createBrowserRouter, Link, Outlet, RouterProvider } from 'react-router';
import { SessionContext } from './components/session-context.ts';
import { createApolloClient } from './graphql/client.ts';
import { LOG_OUT, VIEWER } from './graphql/operations.ts';
import { LoginPage } from './pages/login-page.tsx';
import { routes } from './routes.tsx';
import { session } from './session.ts';
import { theme } from './theme.ts';

function SignedInAs({ onLogOut }: { onLogOut: () => void }) {
  const { data } = useQuery(VIEWER);
  const [logOut] = useMutation(LOG_OUT);
  async function leave() {
    // The token is revoked server-side; if that fails (e.g. it already expired) we forget it anyway.
    await logOut().catch(() => undefined);
    onLogOut();
  }
  return (
    <Group gap="xs" wrap="nowrap" className="who">
      <Text size="sm" truncate maw={200}>
        {data?.viewer?.email}
      </Text>
      <Button size="compact-sm" variant="white" onClick={() => void leave()}>
        Log out
      </Button>
    </Group>
  );
}

function Shell({ signedIn, onLogOut }: { signedIn: boolean; onLogOut: () => void }) {
  return (
    <>
      <header>
        <h1>
          <Link to="/" className="brand">
            Weft admin
          </Link>
        </h1>
        {signedIn && <SignedInAs onLogOut={onLogOut} />}
      </header>
      <main>
        <Outlet />
      </main>
    </>
  );
}

export function App() {
  const [token, setToken] = useState<string | null>(session.get());
  // A new client per identity, so no cached data of one user is shown to the next.
  const client = useMemo(() => createApolloClient(() => token), [token]);
  const signIn = useCallback((next: string | null) => {
    session.set(next);
    setToken(next);
  }, []);
  // Signed out, every URL shows the log-in form and keeps its address: after signing in the
  // shared link opens where it pointed.
  const router = useMemo(
    () =>
      createBrowserRouter(
        [
          {
            element: <Shell signedIn={token !== null} onLogOut={() => signIn(null)} />,
            children: token === null ? [{ path: '*', element: <LoginPage onToken={signIn} /> }] : routes,
          },
        ],
        { basename: '/admin' },
      ),
    [token, signIn],
  );
  return (
    <MantineProvider theme={theme}>
      <ApolloProvider client={client}>
        <SessionContext.Provider value={{ signOut: () => signIn(null) }}>
          <RouterProvider router={router} />
        </SessionContext.Provider>
      </ApolloProvider>
    </MantineProvider>
  );
}
