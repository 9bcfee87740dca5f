import { createContext, useContext } from 'react';

/** What pages may do to the session (signing out when the API no longer knows the token). */
export const SessionContext = createContext<{ signOut: () => void }>({ signOut: () => undefined });
export const useSession = () => useContext(SessionContext);
