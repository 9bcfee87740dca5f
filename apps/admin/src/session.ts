const TOKEN_KEY = 'weft.token';

/** The signed-in user's opaque token, kept in localStorage so a reload keeps the session. */
export const session = {
  get(): string | null {
    return window.localStorage.getItem(TOKEN_KEY);
  },
  set(token: string | null): void {
    if (token === null) window.localStorage.removeItem(TOKEN_KEY);
    else window.localStorage.setItem(TOKEN_KEY, token);
  },
};
