import { ApolloProvider, useMutation, useQuery } from '@apollo/client/react';
import { Button, Group, MantineProvider, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { createBrowserRouter, Link, Outlet, RouterProvider } from 'react-router';
import { SessionContext, useSession } from './components/session-context.ts';
import { createApolloClient } from './graphql/client.ts';
import { LOG_OUT, VIEWER } from './graphql/operations.ts';
import { LoginPage } from './pages/login-page.tsx';
import { routes } from './routes.tsx';
import { session } from './session.ts';
import { cssVariablesResolver, theme } from './theme.ts';

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

/**
 * The frame of every page. Signed out, every URL shows the log-in form and keeps its address:
 * after signing in the shared link opens where it pointed.
 */
function Shell() {
  const { token, signIn } = useSession();
  return (
    <>
      <header>
        <h1>
          <Link to="/" className="brand">
            Weft admin
          </Link>
        </h1>
        {token !== null && <SignedInAs onLogOut={() => signIn(null)} />}
      </header>
      <main>{token === null ? <LoginPage onToken={signIn} /> : <Outlet />}</main>
    </>
  );
}

// One router for the console's life (the signed-in state is read from the session context).
const router = createBrowserRouter([{ element: <Shell />, children: routes }], { basename: '/admin' });

export function App() {
  const [token, setToken] = useState<string | null>(session.get());
  // A new client per identity, so no cached data of one user is shown to the next.
  const client = useMemo(() => createApolloClient(() => token), [token]);
  const sessionValue = useMemo(
    () => ({
      token,
      signIn: (next: string | null) => {
        session.set(next);
        setToken(next);
      },
      signOut: () => {
        session.set(null);
        setToken(null);
      },
    }),
    [token],
  );
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <ApolloProvider client={client}>
        <SessionContext.Provider value={sessionValue}>
          <RouterProvider router={router} />
        </SessionContext.Provider>
      </ApolloProvider>
    </MantineProvider>
  );
}
