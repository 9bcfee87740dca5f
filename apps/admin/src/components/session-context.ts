import { createContext, useContext } from 'react';

/** The session as pages see it: the token (null signed out), and how to change it. */
export interface Session {
  token: string | null;
  signIn: (token: string | null) => void;
  signOut: () => void;
}

export const SessionContext = createContext<Session>({
  token: null,
  signIn: () => undefined,
  signOut: () => undefined,
});
export const useSession = () => useContext(SessionContext);
