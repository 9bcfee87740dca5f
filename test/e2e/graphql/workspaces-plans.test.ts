import { gql } from '@apollo/client';
import { builtinTools } from '@weft/engine';
import { codes, signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADD_MEMBER,
  AUDIT_LOG,
  CHANGE_MEMBER_ROLE,
  CREATE_PLAN,
  CREATE_WORKSPACE,
  NODE,
  REMOVE_MEMBER,
  UPDATE_PLAN,
  VALID_SPEC,
} from './operations.ts';

let api: TestApi;
let admin: TestUser;
let bob: TestUser;
let workspaceId: string;

const WORKSPACE = gql`
  query Workspace($slug: String!) {
    workspace(slug: $slug) {
      id
      slug
      viewerRole
      members(first: 10) { edges { node { role user { id email } } } pageInfo { hasNextPage } }
      plans(first: 10) { edges { node { id name latestVersion { number } } } }
      tools { name description inputSchema stats { calls } }
      executions(first: 5) { edges { node { id } } }
      approvals(first: 5) { edges { node { id } } }
      installedPlugins { id }
    }
  }
`;

const PLAN = gql`
  query Plan($id: ID!, $against: Int!) {
    node(id: $id) {
      ... on Plan {
        name
        latestVersion { number spec diff(against: $against) { added removed changed } }
        version(number: 1) { number message createdBy { email } }
        versions(first: 10) { edges { node { number parentNumber contentHash } } }
      }
    }
  }
`;

beforeAll(async () => {
  api = await startTestApi();
  const anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'admin');
  bob = await signUpUser(anonymous, 'bob');
});
afterAll(() => api?.close());

async function auditActions(): Promise<string[]> {
  const { rows } = await api.db.pools.owner.query<{ action: string }>('SELECT action FROM audit_log ORDER BY at');
  return rows.map((r) => r.action);
}

describe('workspaces and members', () => {
  it('creates a workspace whose creator is its admin', async () => {
    const result = await admin.client.mutate<{
      createWorkspace: { workspace: { id: string; slug: string; viewerRole: string } };
    }>(CREATE_WORKSPACE, { input: { slug: 'acme', name: 'Acme' } });
    expect(result.errors).toEqual([]);
    expect(result.data?.createWorkspace.workspace).toMatchObject({ slug: 'acme', viewerRole: 'ADMIN' });
    workspaceId = result.data?.createWorkspace.workspace.id ?? '';
    expect(await auditActions()).toEqual(['workspace.create']);
  });

  it('refuses a taken or malformed slug with userErrors', async () => {
    const taken = await bob.client.mutate<{ createWorkspace: { workspace: null; userErrors: { code: string }[] } }>(
      CREATE_WORKSPACE,
      { input: { slug: 'acme', name: 'Other' } },
    );
    expect(taken.data?.createWorkspace).toMatchObject({ workspace: null, userErrors: [{ code: 'TAKEN' }] });
    const bad = await bob.client.mutate<{ createWorkspace: { userErrors: { field: string[] }[] } }>(CREATE_WORKSPACE, {
      input: { slug: 'Not A Slug', name: '' },
    });
    expect(bad.data?.createWorkspace.userErrors.map((e) => e.field)).toEqual([['slug'], ['name']]);
    expect(await auditActions()).toEqual(['workspace.create']);
  });

  it('adds, re-roles and removes members, protecting the last admin', async () => {
    const added = await admin.client.mutate<{ addMember: { membership: { role: string; user: { id: string } } } }>(
      ADD_MEMBER,
      { input: { workspaceId, email: bob.email, role: 'VIEWER' } },
    );
    expect(added.data?.addMember.membership).toEqual({ role: 'VIEWER', user: { id: bob.id, email: bob.email } });
    const again = await admin.client.mutate<{ addMember: { userErrors: { code: string }[] } }>(ADD_MEMBER, {
      input: { workspaceId, email: bob.email, role: 'MEMBER' },
    });
    expect(again.data?.addMember.userErrors.map((e) => e.code)).toEqual(['TAKEN']);
    // An address without an account is invited (same answer as for an account), not refused.
    const unknown = await admin.client.mutate<{
      addMember: { membership: { role: string; user: { email: string } }; userErrors: unknown[] };
    }>(ADD_MEMBER, { input: { workspaceId, email: 'ghost@example.com', role: 'MEMBER' } });
    expect(unknown.data?.addMember.userErrors).toEqual([]);
    expect(unknown.data?.addMember.membership).toMatchObject({ role: 'MEMBER', user: { email: 'ghost@example.com' } });
    const bad = await admin.client.mutate<{ addMember: { userErrors: { field: string[] }[] } }>(ADD_MEMBER, {
      input: { workspaceId, email: 'not an email', role: 'MEMBER' },
    });
    expect(bad.data?.addMember.userErrors.map((e) => e.field)).toEqual([['email']]);

    const demoteSelf = await admin.client.mutate<{ changeMemberRole: { userErrors: { code: string }[] } }>(
      CHANGE_MEMBER_ROLE,
      { input: { workspaceId, userId: admin.id, role: 'MEMBER' } },
    );
    expect(demoteSelf.data?.changeMemberRole.userErrors.map((e) => e.code)).toEqual(['LAST_ADMIN']);
    const removeSelf = await admin.client.mutate<{ removeMember: { userErrors: { code: string }[] } }>(REMOVE_MEMBER, {
      input: { workspaceId, userId: admin.id },
    });
    expect(removeSelf.data?.removeMember.userErrors.map((e) => e.code)).toEqual(['LAST_ADMIN']);

    const promoted = await admin.client.mutate<{ changeMemberRole: { membership: { role: string } } }>(
      CHANGE_MEMBER_ROLE,
      { input: { workspaceId, userId: bob.id, role: 'MEMBER' } },
    );
    expect(promoted.data?.changeMemberRole.membership.role).toBe('MEMBER');

    const page = await bob.client.query<{
      workspace: {
        viewerRole: string;
        members: { edges: { node: { role: string } }[] };
        tools: { name: string; description: string; inputSchema: unknown }[];
      };
    }>(WORKSPACE, { slug: 'acme' });
    expect(page.errors).toEqual([]);
    expect(page.data?.workspace.viewerRole).toBe('MEMBER');
    // The admin, bob and the invited ghost.
    expect(page.data?.workspace.members.edges.map((e) => e.node.role).sort()).toEqual(['ADMIN', 'MEMBER', 'MEMBER']);
    // The built-ins as the engine, which runs them, defines them: one list, not the API's own copy.
    for (const builtin of builtinTools) {
      expect(page.data?.workspace.tools).toContainEqual({
        name: builtin.name,
        description: builtin.description,
        inputSchema: builtin.inputSchema,
        stats: null,
      });
    }

    const audit = await admin.client.query<{
      workspace: { auditLog: { edges: { node: { action: string; data: { before: unknown; after: unknown } } }[] } };
    }>(AUDIT_LOG, { slug: 'acme' });
    const change = audit.data?.workspace.auditLog.edges.find((e) => e.node.action === 'member.changeRole');
    expect(change?.node.data).toEqual({ before: { role: 'VIEWER' }, after: { role: 'MEMBER' } });
  });
});

describe('plans and versions', () => {
  let planId: string;

  it('creates a plan with version 1', async () => {
    const result = await bob.client.mutate<{
      createPlan: { plan: { id: string; name: string; latestVersion: { number: number } } };
    }>(CREATE_PLAN, { input: { workspaceId, name: 'Greeter', spec: VALID_SPEC, message: 'first' } });
    expect(result.errors).toEqual([]);
    expect(result.data?.createPlan.plan).toMatchObject({ name: 'Greeter', latestVersion: { number: 1 } });
    planId = result.data?.createPlan.plan.id ?? '';
  });

  it('answers an invalid spec with userErrors addressed by path, and writes nothing', async () => {
    const before = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM plan_versions');
    const spec = {
      steps: [
        { id: 'a', tool: 'core.echo' },
        { id: 'b', tool: 'core.echo', after: ['nope'] },
        { id: 'c', input: {} },
      ],
    };
    const result = await bob.client.mutate<{
      updatePlan: { version: null; userErrors: { code: string; field: string[] }[] };
    }>(UPDATE_PLAN, { input: { planId, spec } });
    expect(result.data?.updatePlan.version).toBeNull();
    expect(result.data?.updatePlan.userErrors.map((e) => e.field.join('.')).sort()).toEqual([
      'spec.steps.1.after.0',
      'spec.steps.2.tool',
    ]);
    const after = await api.db.pools.owner.query('SELECT count(*)::int AS n FROM plan_versions');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('saves each update as a new immutable version with author, parent and hash, and diffs them', async () => {
    const spec2 = {
      steps: [
        { id: 'hello', tool: 'core.echo', input: { text: 'hello' } },
        { id: 'bye', tool: 'core.echo', after: ['hello'] },
      ],
    };
    const result = await admin.client.mutate<{
      updatePlan: {
        version: {
          number: number;
          parentNumber: number;
          contentHash: string;
          message: string;
          createdBy: { email: string };
        };
      };
    }>(UPDATE_PLAN, { input: { planId, spec: spec2, message: 'second' } });
    expect(result.data?.updatePlan.version).toMatchObject({
      number: 2,
      parentNumber: 1,
      message: 'second',
      createdBy: { email: admin.email },
    });
    expect(result.data?.updatePlan.version.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);

    const plan = await bob.client.query<{
      node: {
        latestVersion: { number: number; diff: { added: string[]; removed: string[]; changed: string[] } };
        version: { number: number; message: string; createdBy: { email: string } };
        versions: { edges: { node: { number: number; parentNumber: number | null } }[] };
      };
    }>(PLAN, { id: planId, against: 1 });
    expect(plan.errors).toEqual([]);
    expect(plan.data?.node.latestVersion.diff).toEqual({ added: ['bye'], removed: ['wait'], changed: ['hello'] });
    expect(plan.data?.node.version).toEqual({ number: 1, message: 'first', createdBy: { email: bob.email } });
    expect(plan.data?.node.versions.edges.map((e) => [e.node.number, e.node.parentNumber])).toEqual([
      [2, 1],
      [1, null],
    ]);
    const stored = await api.db.pools.owner.query('SELECT spec FROM plan_versions WHERE number = 1');
    expect(stored.rows[0].spec).toEqual(VALID_SPEC);
    expect(await auditActions()).toContain('plan.update');
  });

  it('hides another workspace entirely: its IDs answer NOT_FOUND like missing ones', async () => {
    const outsider = await signUpUser(new TestClient(api.url), 'outsider');
    const viaNode = await outsider.client.query(NODE, { id: planId });
    const missing = await outsider.client.query(NODE, { id: `${planId.slice(0, -4)}AAAA` });
    expect(codes(viaNode)).toEqual(['NOT_FOUND']);
    expect(codes(missing)).toEqual(['NOT_FOUND']);
    expect(viaNode.errors[0]?.message).toBe(missing.errors[0]?.message);
    const ws = await outsider.client.query(NODE, { id: workspaceId });
    expect(codes(ws)).toEqual(['NOT_FOUND']);
    const bySlug = await outsider.client.query<{ workspace: null }>(WORKSPACE, { slug: 'acme' });
    expect(bySlug.data?.workspace).toBeNull();
    // Users: a co-member can be looked up, a stranger cannot (same answer as a missing id).
    const USER = gql`query User($id: ID!) { node(id: $id) { ... on User { email } } }`;
    expect((await admin.client.query<{ node: { email: string } }>(USER, { id: bob.id })).data?.node.email).toBe(
      bob.email,
    );
    expect(codes(await outsider.client.query(USER, { id: bob.id }))).toEqual(['NOT_FOUND']);
    expect((await outsider.client.query<{ node: { email: string } }>(USER, { id: outsider.id })).data?.node.email).toBe(
      outsider.email,
    );
  });

  it('pages connections at most 100 at a time', async () => {
    const many = await admin.client.query<{ workspace: { plans: { edges: unknown[] } } }>(
      gql`query Many($slug: String!) { workspace(slug: $slug) { plans(first: 1000) { edges { node { id } } } } }`,
      { slug: 'acme' },
    );
    expect(many.errors).toEqual([]);
    expect(many.data?.workspace.plans.edges.length).toBe(1);
    const { rows } = await api.db.pools.owner.query<{ id: string }>(
      "INSERT INTO plans (workspace_id, name) SELECT w.id, 'p' || g FROM workspaces w, generate_series(1, 120) g WHERE w.slug = 'acme' RETURNING id",
    );
    expect(rows.length).toBe(120);
    const page = await admin.client.query<{ workspace: { plans: { edges: unknown[] } } }>(
      gql`query Many2($slug: String!) { workspace(slug: $slug) { plans(first: 1000) { edges { node { id } } pageInfo { hasNextPage } } } }`,
      { slug: 'acme' },
    );
    expect(page.data?.workspace.plans.edges.length).toBe(100);
  });
});
