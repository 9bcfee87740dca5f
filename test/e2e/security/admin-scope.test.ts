// /admin/graphql shows one workspace: the one named in X-Weft-Workspace. A user's memberships
// and workspaces elsewhere stay out of it, so an API token bound to one workspace learns nothing
// of the others its user belongs to (as on /graphql, where `memberships` is bound the same way).
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_MEMBER, CREATE_API_TOKEN, CREATE_WORKSPACE } from '../graphql/operations.ts';

let api: TestApi;
let alice: TestUser;
let bob: TestUser;
let alphaUuid: string;
let apiToken: string;

async function workspace(owner: TestUser, slug: string): Promise<{ id: string; uuid: string }> {
  const ws = await owner.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: slug },
  });
  const { rows } = await api.db.pools.owner.query<{ id: string }>('SELECT id FROM workspaces WHERE slug = $1', [slug]);
  return { id: ws.data?.createWorkspace.workspace.id ?? '', uuid: rows[0]?.id ?? '' };
}

async function admin(token: string, query: string) {
  const res = await fetch(`${api.url}/admin/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-weft-workspace': alphaUuid },
    body: JSON.stringify({ query }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { data?: Record<string, { nodes: Record<string, unknown>[] }>; errors?: unknown[] };
}

beforeAll(async () => {
  api = await startTestApi({ env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  alice = await signUpUser(new TestClient(api.url), 'alice');
  bob = await signUpUser(new TestClient(api.url), 'bob');
  const alpha = await workspace(alice, 'alpha-scope');
  alphaUuid = alpha.uuid;
  // Alice is also a viewer of Bob's workspace: hers to see on /graphql with a session, not here.
  const beta = await workspace(bob, 'beta-scope');
  await bob.client.mutate(ADD_MEMBER, { input: { workspaceId: beta.id, email: alice.email, role: 'VIEWER' } });
  const token = await alice.client.mutate<{ createApiToken: { token: string } }>(CREATE_API_TOKEN, {
    input: { workspaceId: alpha.id, name: 'alpha only' },
  });
  apiToken = token.data?.createApiToken.token ?? '';
  expect(apiToken).not.toBe('');
});
afterAll(() => api?.close());

const SCOPE = '{ allWorkspaces { nodes { slug } } allMemberships { nodes { workspaceId role } } }';

describe('/admin/graphql stays in its workspace', () => {
  it('shows an API token bound to one workspace nothing of its user’s other workspaces', async () => {
    const { data, errors } = await admin(apiToken, SCOPE);
    expect(errors).toBeUndefined();
    expect(data?.allWorkspaces?.nodes).toEqual([{ slug: 'alpha-scope' }]);
    expect(data?.allMemberships?.nodes).toEqual([{ workspaceId: alphaUuid, role: 'ADMIN' }]);
  });

  it('shows a session only the workspace it named as well', async () => {
    const { data, errors } = await admin(alice.token, SCOPE);
    expect(errors).toBeUndefined();
    expect(data?.allWorkspaces?.nodes.map((w) => w.slug)).toEqual(['alpha-scope']);
    expect(data?.allMemberships?.nodes.map((m) => m.workspaceId)).toEqual([alphaUuid]);
  });
});
