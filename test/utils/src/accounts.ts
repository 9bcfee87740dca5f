import { randomBytes } from 'node:crypto';
import { gql } from '@apollo/client';
import type { TestClient } from './api.ts';

/** A new user signed up through the API; `client` carries their session token. */
export interface TestUser {
  id: string;
  email: string;
  token: string;
  client: TestClient;
}

const SIGN_UP = gql`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { token user { id email } userErrors { code message } }
  }
`;

export async function signUpUser(anonymous: TestClient, label = 'user'): Promise<TestUser> {
  const email = `${label}-${randomBytes(4).toString('hex')}@example.com`;
  const result = await anonymous.mutate<{
    signUp: { token: string | null; user: { id: string; email: string } | null; userErrors: unknown[] };
  }>(SIGN_UP, { input: { email, password: 'correct horse battery', name: label } });
  const payload = result.data?.signUp;
  if (!payload?.token || !payload.user) throw new Error(`sign-up failed: ${JSON.stringify(result)}`);
  return { id: payload.user.id, email, token: payload.token, client: anonymous.withToken(payload.token) };
}
