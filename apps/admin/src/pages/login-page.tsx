import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { LOG_IN, SIGN_UP } from '../graphql/operations.ts';
import { describeErrors, type UserError } from '../session.ts';

interface AuthResult {
  token: string | null;
  userErrors: UserError[];
}

export function LoginPage({ onToken }: { onToken: (token: string) => void }) {
  const [mode, setMode] = useState<'logIn' | 'signUp'>('logIn');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [logIn] = useMutation<{ logIn: AuthResult }>(LOG_IN);
  const [signUp] = useMutation<{ signUp: AuthResult }>(SIGN_UP);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const result =
        mode === 'logIn'
          ? (await logIn({ variables: { input: { email, password } } })).data?.logIn
          : (await signUp({ variables: { input: { email, password, name } } })).data?.signUp;
      const problem = describeErrors(result?.userErrors);
      if (problem !== null) setError(problem);
      else if (result?.token) onToken(result.token);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
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
      {error !== null && <p className="error">{error}</p>}
      <button type="submit">{mode === 'logIn' ? 'Log in' : 'Sign up'}</button>
      <button type="button" className="link" onClick={() => setMode(mode === 'logIn' ? 'signUp' : 'logIn')}>
        {mode === 'logIn' ? 'No account yet? Sign up' : 'Have an account? Log in'}
      </button>
    </form>
  );
}
