import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { FieldError, useFormErrors } from '../components/form-errors.tsx';
import { FormSection } from '../components/form-section.tsx';
import { usePageTitle } from '../components/page-title.ts';
import { attempt } from '../errors.ts';
import { LOG_IN, SIGN_UP } from '../graphql/operations.ts';

export function LoginPage({ onToken }: { onToken: (token: string) => void }) {
  const [mode, setMode] = useState<'logIn' | 'signUp'>('logIn');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const errors = useFormErrors(['email', 'password', 'name']);
  usePageTitle(mode === 'logIn' ? 'Log in' : 'Sign up');
  const [logIn] = useMutation(LOG_IN);
  const [signUp] = useMutation(SIGN_UP);

  async function submit() {
    const outcome = await attempt(
      async () =>
        mode === 'logIn'
          ? (await logIn({ variables: { input: { email, password } } })).data?.logIn
          : (await signUp({ variables: { input: { email, password, name: name || null } } })).data?.signUp,
      (result) => ({ userErrors: result?.userErrors, value: result?.token ?? undefined }),
    );
    errors.report(outcome);
    if (outcome.problem === null && outcome.value !== undefined) onToken(outcome.value);
  }

  return (
    <FormSection
      title={mode === 'logIn' ? 'Log in' : 'Create an account'}
      level={2}
      submitLabel={mode === 'logIn' ? 'Log in' : 'Sign up'}
      onSubmit={submit}
      error={errors.formError}
      after={
        <button
          type="button"
          className="link"
          onClick={() => {
            errors.clear();
            setMode(mode === 'logIn' ? 'signUp' : 'logIn');
          }}
        >
          {mode === 'logIn' ? 'No account yet? Sign up' : 'Have an account? Log in'}
        </button>
      }
    >
      {mode === 'signUp' && (
        <label>
          Name <input autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      )}
      {mode === 'signUp' && <FieldError message={errors.fieldError('name')} />}
      <label>
        Email{' '}
        <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <FieldError message={errors.fieldError('email')} />
      <label>
        Password{' '}
        <input
          type="password"
          autoComplete={mode === 'logIn' ? 'current-password' : 'new-password'}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <FieldError message={errors.fieldError('password')} />
    </FormSection>
  );
}
