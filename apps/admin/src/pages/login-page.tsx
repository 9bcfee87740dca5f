import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { attempt } from '../errors.ts';
import { LOG_IN, SIGN_UP } from '../graphql/operations.ts';

export function LoginPage({ onToken }: { onToken: (token: string) => void }) {
  const [mode, setMode] = useState<'logIn' | 'signUp'>('logIn');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [logIn] = useMutation(LOG_IN);
  const [signUp] = useMutation(SIGN_UP);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const { problem, value: token } = await attempt(
      async () =>
        mode === 'logIn'
          ? (await logIn({ variables: { input: { email, password } } })).data?.logIn
          : (await signUp({ variables: { input: { email, password, name: name || null } } })).data?.signUp,
      (result) => ({ userErrors: result?.userErrors, value: result?.token ?? undefined }),
    );
    setError(problem);
    if (problem === null && token !== undefined) onToken(token);
  }

  return (
    <form className="card" onSubmit={submit}>
      <h2>{mode === 'logIn' ? 'Log in' : 'Create an account'}</h2>
      {mode === 'signUp' && (
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      )}
      <label>
        Email <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Password <input type="password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">{mode === 'logIn' ? 'Log in' : 'Sign up'}</button>
      <button
        type="button"
        className="link"
        onClick={() => {
          setError(null);
          setMode(mode === 'logIn' ? 'signUp' : 'logIn');
        }}
      >
        {mode === 'logIn' ? 'No account yet? Sign up' : 'Have an account? Log in'}
      </button>
    </form>
  );
}
