import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_MEMBER, CREATE_PLAN, CREATE_WORKSPACE, VALID_SPEC } from './operations.ts';

let api: TestApi;
let alice: TestUser;
let bob: TestUser;
const workspaces: Record<string, { id: string; uuid: string }> = {};

async function admin(token: string | undefined, workspace: string | undefined, query: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (workspace) headers['x-weft-workspace'] = workspace;
  const res = await fetch(`${api.url}/admin/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return {
    status: res.status,
    body: (await res.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] },
  };
}

beforeAll(async () => {
  api = await startTestApi();
  const anonymous = new TestClient(api.url);
  alice = await signUpUser(anonymous, 'alice');
  bob = await signUpUser(anonymous, 'bob');
  for (const [slug, owner] of [
    ['alpha', alice],
    ['beta', bob],
  ] as const) {
    const ws = await owner.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
      input: { slug, name: slug },
    });
    const id = ws.data?.createWorkspace.workspace.id ?? '';
    await owner.client.mutate(CREATE_PLAN, { input: { workspaceId: id, name: `${slug}-plan`, spec: VALID_SPEC } });
    const { rows } = await api.db.pools.owner.query<{ id: string }>('SELECT id FROM workspaces WHERE slug = $1', [
      slug,
    ]);
    workspaces[slug] = { id, uuid: rows[0]?.id ?? '' };
  }
  // Bob is a MEMBER (not admin) of alpha.
  await alice.client.mutate(ADD_MEMBER, {
    input: { workspaceId: workspaces.alpha?.id, email: bob.email, role: 'MEMBER' },
  });
});
afterAll(() => api?.close());

const PLANS = '{ allPlans { nodes { name } } allWorkspaces { nodes { slug } } }';

describe('/admin/graphql (PostGraphile)', () => {
  it('serves a workspace admin, bound by RLS to that workspace', async () => {
    const { status, body } = await admin(alice.token, workspaces.alpha?.uuid, PLANS);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      allPlans: { nodes: [{ name: 'alpha-plan' }] },
      allWorkspaces: { nodes: [{ slug: 'alpha' }] },
    });
  });

  it('refuses the signed-out (401), non-admins (403) and other workspaces (404)', async () => {
    expect((await admin(undefined, workspaces.alpha?.uuid, PLANS)).status).toBe(401);
    const member = await admin(bob.token, workspaces.alpha?.uuid, PLANS);
    expect(member.status).toBe(403);
    expect(member.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await admin(alice.token, workspaces.beta?.uuid, PLANS);
    expect(other.status).toBe(404);
    expect(other.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('does not expose accounts, tokens or ciphertexts', async () => {
    const users = await admin(alice.token, workspaces.alpha?.uuid, '{ allUsers { nodes { email passwordHash } } }');
    expect(users.body.data).toBeUndefined();
    const tokens = await admin(alice.token, workspaces.alpha?.uuid, '{ allAuthTokens { nodes { tokenHash } } }');
    expect(tokens.body.data).toBeUndefined();
    const hooks = await admin(alice.token, workspaces.alpha?.uuid, '{ allWebhooks { nodes { secretCiphertext } } }');
    expect(hooks.body.data).toBeUndefined();
    const fine = await admin(alice.token, workspaces.alpha?.uuid, '{ allWebhooks { nodes { id } } }');
    expect(fine.body.errors).toBeUndefined();
  });

  it('cannot write into another workspace even when asked to', async () => {
    const { body } = await admin(
      alice.token,
      workspaces.alpha?.uuid,
      `mutation { createPlan(input: { plan: { workspaceId: "${workspaces.beta?.uuid}", name: "intruder" } }) { plan { id } } }`,
    );
    expect(body.errors?.length).toBeGreaterThan(0);
    const { rows } = await api.db.pools.owner.query("SELECT 1 FROM plans WHERE name = 'intruder'");
    expect(rows).toEqual([]);
  });
});
