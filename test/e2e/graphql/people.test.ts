// People in a workspace over real HTTP and PostgreSQL: the audit log as readable rows with its
// filters, the workspace's API tokens for admins only, invitations completed by sign-up, and who
// started a run as the approvals inbox shows it.
import { gql } from '@apollo/client';
import { withTenant } from '@weft/db';
import { codes, signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADD_MEMBER,
  APPROVAL_SPEC,
  CHANGE_MEMBER_ROLE,
  CREATE_API_TOKEN,
  CREATE_PLAN,
  CREATE_WORKSPACE,
  DECIDE_APPROVAL,
  REMOVE_MEMBER,
  REVOKE_WORKSPACE_API_TOKEN,
  SIGN_UP,
  START_EXECUTION,
  VIEWER,
} from './operations.ts';

const AUDIT = gql`
  query Audit($slug: String!, $actorId: ID, $action: String, $since: DateTime, $until: DateTime, $first: Int) {
    workspace(slug: $slug) {
      auditActions
      auditActors { email }
      auditLog(actorId: $actorId, action: $action, since: $since, until: $until, first: $first) {
        edges {
          node {
            action
            actor { email }
            targetType
            targetLabel
            targetUser { email }
            targetExecution { id }
            targetGone
            at
          }
        }
      }
    }
  }
`;
const API_TOKENS = gql`
  query ApiTokens($slug: String!) {
    workspace(slug: $slug) { apiTokens { id name kind owner { email } } }
  }
`;
const MEMBERS = gql`
  query Members($slug: String!) {
    workspace(slug: $slug) { members { edges { node { role invited user { email } } } } }
  }
`;
const APPROVALS = gql`
  query Approvals($slug: String!) {
    workspace(slug: $slug) {
      approvals {
        edges {
          node { id stepId status message stepInput execution { id mode startedBy { email } planVersion { number } plan { name } } }
        }
      }
    }
  }
`;

interface AuditNode {
  action: string;
  actor: { email: string } | null;
  targetType: string | null;
  targetLabel: string | null;
  targetUser: { email: string } | null;
  targetExecution: { id: string } | null;
  targetGone: boolean | null;
  at: string;
}
type AuditData = {
  workspace: { auditActions: string[]; auditActors: { email: string }[]; auditLog: { edges: { node: AuditNode }[] } };
};

let api: TestApi;
let anonymous: TestClient;
let admin: TestUser;
let member: TestUser;
let workspaceId: string;
const slug = 'people';

async function addMember(email: string, role: string): Promise<void> {
  const r = await admin.client.mutate<{ addMember: { userErrors: unknown[] } }>(ADD_MEMBER, {
    input: { workspaceId, email, role },
  });
  expect(r.data?.addMember.userErrors).toEqual([]);
}

async function apiToken(user: TestUser, name: string): Promise<{ id: string; token: string }> {
  const r = await user.client.mutate<{ createApiToken: { token: string; apiToken: { id: string } } }>(
    CREATE_API_TOKEN,
    { input: { workspaceId, name } },
  );
  const payload = r.data?.createApiToken;
  if (!payload?.token) throw new Error(`no token: ${JSON.stringify(r)}`);
  return { id: payload.apiToken.id, token: payload.token };
}

async function signedIn(token: string): Promise<boolean> {
  const r = await anonymous.withToken(token).query<{ viewer: { id: string } | null }>(VIEWER);
  return r.data?.viewer != null;
}

/** The row's own uuid inside a global id (`Type:uuid` or `Type:workspace:uuid`). */
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':').pop() ?? '';

const audit = (client: TestClient, variables: Record<string, unknown> = {}) =>
  client.query<AuditData>(AUDIT, { slug, ...variables });

beforeAll(async () => {
  api = await startTestApi();
  anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'people-admin');
  member = await signUpUser(anonymous, 'people-member');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: 'People' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  await addMember(member.email, 'MEMBER');
});
afterAll(() => api?.close());

describe('invitations', () => {
  it('an address without an account is a member marked invited until it signs up, then keeps its role', async () => {
    const email = `invitee-${Date.now()}@example.com`;
    await addMember(email, 'VIEWER');
    const members = async () =>
      (
        await admin.client.query<{
          workspace: { members: { edges: { node: { role: string; invited: boolean; user: { email: string } } }[] } };
        }>(MEMBERS, { slug })
      ).data?.workspace.members.edges.map((e) => e.node);
    expect((await members())?.find((m) => m.user.email === email)).toEqual({
      role: 'VIEWER',
      invited: true,
      user: { email },
    });
    expect((await members())?.find((m) => m.user.email === member.email)?.invited).toBe(false);

    const signUp = await anonymous.mutate<{ signUp: { token: string | null; userErrors: unknown[] } }>(SIGN_UP, {
      input: { email, password: 'correct horse battery', name: 'Invitee' },
    });
    expect(signUp.data?.signUp.userErrors).toEqual([]);
    expect((await members())?.find((m) => m.user.email === email)).toEqual({
      role: 'VIEWER',
      invited: false,
      user: { email },
    });
    // The new account sees the workspace it was invited to.
    const token = signUp.data?.signUp.token ?? '';
    const seen = await anonymous
      .withToken(token)
      .query<{ workspace: { name: string } | null }>(gql`query { workspace(slug: "people") { name } }`);
    expect(seen.data?.workspace?.name).toBe('People');
  });
});

describe('audit log', () => {
  it('keeps names and targets, filters by actor, action and time, and says when a target is gone', async () => {
    const bob = await signUpUser(anonymous, 'people-bob');
    const started = new Date().toISOString();
    await addMember(bob.email, 'VIEWER');
    const changed = await admin.client.mutate(CHANGE_MEMBER_ROLE, {
      input: { workspaceId, userId: bob.id, role: 'MEMBER' },
    });
    expect(changed.errors).toEqual([]);

    const byAction = await audit(admin.client, { action: 'member.changeRole', since: started });
    expect(byAction.errors).toEqual([]);
    expect(byAction.data?.workspace.auditLog.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({
        action: 'member.changeRole',
        actor: { email: admin.email },
        targetType: 'User',
        targetLabel: bob.email,
        targetUser: { email: bob.email },
        targetGone: false,
      }),
    ]);
    expect(byAction.data?.workspace.auditActions).toEqual(
      expect.arrayContaining(['member.add', 'member.changeRole', 'workspace.create']),
    );

    // The member acts too; filtering by actor returns only their rows.
    await apiToken(member, 'member-own');
    const memberRows = await audit(admin.client, { actorId: member.id });
    expect(memberRows.data?.workspace.auditLog.edges.map((e) => [e.node.action, e.node.actor?.email])).toEqual([
      ['apiToken.create', member.email],
    ]);
    expect(memberRows.data?.workspace.auditActors.map((a) => a.email).sort()).toEqual(
      [admin.email, member.email].sort(),
    );
    const adminRows = await audit(admin.client, { actorId: admin.id });
    expect(adminRows.data?.workspace.auditLog.edges.every((e) => e.node.actor?.email === admin.email)).toBe(true);
    expect(adminRows.data?.workspace.auditLog.edges.length).toBeGreaterThan(3);

    // A window before anything happened holds nothing; `until` is exclusive of later rows.
    const before = await audit(admin.client, { until: '2000-01-01T00:00:00Z' });
    expect(before.data?.workspace.auditLog.edges).toEqual([]);

    // Once Bob is removed, the rows about him still name him and say he is gone.
    await admin.client.mutate(REMOVE_MEMBER, { input: { workspaceId, userId: bob.id } });
    const afterRemoval = await audit(admin.client, { action: 'member.add', since: started });
    expect(afterRemoval.data?.workspace.auditLog.edges.map((e) => [e.node.targetLabel, e.node.targetGone])).toEqual([
      [bob.email, true],
    ]);
  });

  it('refuses malformed or inverted filters, and members may not read it', async () => {
    const badAction = await audit(admin.client, { action: "x'; DROP TABLE audit_log; --" });
    expect(codes(badAction)).toEqual(['INVALID_INPUT']);
    const inverted = await audit(admin.client, { since: '2030-01-02T00:00:00Z', until: '2030-01-01T00:00:00Z' });
    expect(codes(inverted)).toEqual(['INVALID_INPUT']);
    const long = await audit(admin.client, { action: `a${'.b'.repeat(60)}` });
    expect(codes(long)).toEqual(['INVALID_INPUT']);
    const asMember = await audit(member.client, { action: 'member.add' });
    expect(codes(asMember)).toContain('FORBIDDEN');
    expect(asMember.data?.workspace?.auditLog ?? null).toBeNull();
  });
});

describe("the workspace's API tokens", () => {
  it('admins see every member’s token with its owner and revoke it, audited; members see and revoke none', async () => {
    const mine = await apiToken(admin, 'admin-ci');
    const theirs = await apiToken(member, 'member-ci');

    const listed = await admin.client.query<{
      workspace: { apiTokens: { id: string; name: string; owner: { email: string } }[] };
    }>(API_TOKENS, { slug });
    const byName = new Map(listed.data?.workspace.apiTokens.map((t) => [t.name, t.owner.email]));
    expect(byName.get('admin-ci')).toBe(admin.email);
    expect(byName.get('member-ci')).toBe(member.email);

    // A member can neither list the workspace's tokens nor revoke the admin's.
    const memberList = await member.client.query(API_TOKENS, { slug });
    expect(codes(memberList)).toContain('FORBIDDEN');
    const memberRevoke = await member.client.mutate(REVOKE_WORKSPACE_API_TOKEN, {
      input: { workspaceId, tokenId: mine.id },
    });
    expect(codes(memberRevoke)).toEqual(['FORBIDDEN']);
    expect(await signedIn(mine.token)).toBe(true);

    // An admin's API token may not revoke tokens either: that takes a session.
    const asApiToken = await anonymous
      .withToken(mine.token)
      .mutate(REVOKE_WORKSPACE_API_TOKEN, { input: { workspaceId, tokenId: theirs.id } });
    expect(codes(asApiToken)).toEqual(['FORBIDDEN']);
    expect(await signedIn(theirs.token)).toBe(true);

    const revoked = await admin.client.mutate<{ revokeWorkspaceApiToken: { revoked: boolean } }>(
      REVOKE_WORKSPACE_API_TOKEN,
      { input: { workspaceId, tokenId: theirs.id } },
    );
    expect(revoked.data?.revokeWorkspaceApiToken.revoked).toBe(true);
    expect(await signedIn(theirs.token)).toBe(false);
    const again = await admin.client.mutate(REVOKE_WORKSPACE_API_TOKEN, { input: { workspaceId, tokenId: theirs.id } });
    expect(codes(again)).toEqual(['NOT_FOUND']);

    const row = await audit(admin.client, { action: 'apiToken.revoke', first: 1 });
    expect(row.data?.workspace.auditLog.edges[0]?.node).toEqual(
      expect.objectContaining({ actor: { email: admin.email }, targetLabel: 'member-ci', targetGone: true }),
    );
  });

  it("an admin of another workspace cannot revoke this workspace's tokens", async () => {
    const outsider = await signUpUser(anonymous, 'people-outsider');
    const other = await outsider.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
      input: { slug: 'people-other', name: 'Other' },
    });
    const otherId = other.data?.createWorkspace.workspace.id ?? '';
    const target = await apiToken(member, 'member-cross');
    // Naming their own workspace with our token: the token is not theirs to find.
    const crossed = await outsider.client.mutate(REVOKE_WORKSPACE_API_TOKEN, {
      input: { workspaceId: otherId, tokenId: target.id },
    });
    expect(codes(crossed)).toEqual(['NOT_FOUND']);
    expect(await signedIn(target.token)).toBe(true);
  });
});

describe('audit rows outlive their targets', () => {
  it('a run deleted by retention is still named by its plan, and said to be gone', async () => {
    const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
      input: { workspaceId, name: 'short-lived', spec: APPROVAL_SPEC },
    });
    const started = await admin.client.mutate<{ startExecution: { execution: { id: string } } }>(START_EXECUTION, {
      input: { planId: plan.data?.createPlan.plan.id },
    });
    const runId = started.data?.startExecution.execution.id ?? '';
    const latest = async () =>
      (await audit(admin.client, { action: 'execution.start', first: 1 })).data?.workspace.auditLog.edges[0]?.node;
    expect(await latest()).toEqual(
      expect.objectContaining({ targetLabel: 'short-lived', targetExecution: { id: runId }, targetGone: false }),
    );
    // As the retention sweep does (apps/api/src/retention/prune-history.ts).
    await api.db.pools.owner.query('DELETE FROM executions WHERE id = $1', [uuidOf(runId)]);
    expect(await latest()).toEqual(
      expect.objectContaining({ targetLabel: 'short-lived', targetExecution: null, targetGone: true }),
    );
  });
});

describe('the database asks again', () => {
  it("weft_auth lists and revokes a workspace's tokens only for its admin in scope", async () => {
    const token = await apiToken(member, 'db-check');
    const tokenId = uuidOf(token.id);
    const wsUuid = uuidOf(workspaceId);
    const asUser = (userId: string) =>
      withTenant(api.db.pools.app, { workspaceId: wsUuid, userId }, async (client) => {
        const listed = await client.query('SELECT id FROM weft_auth.workspace_api_tokens($1)', [wsUuid]);
        const revoked = await client.query('SELECT id FROM weft_auth.revoke_workspace_api_token($1, $2)', [
          wsUuid,
          tokenId,
        ]);
        return { listed: listed.rowCount, revoked: revoked.rowCount };
      });
    // A member calling the functions directly (as any path running as weft_app could) gets nothing.
    expect(await asUser(uuidOf(member.id))).toEqual({ listed: 0, revoked: 0 });
    // The same calls with the admin in scope see the token (listing only: revoking is tested above).
    const asAdmin = await withTenant(api.db.pools.app, { workspaceId: wsUuid, userId: uuidOf(admin.id) }, (client) =>
      client.query<{ id: string }>('SELECT id FROM weft_auth.workspace_api_tokens($1)', [wsUuid]),
    );
    expect(asAdmin.rows.map((r) => r.id)).toContain(tokenId);
    expect(await signedIn(token.token)).toBe(true);
  });
});

describe('approvals inbox', () => {
  it('shows who started each run, its mode, plan and version and the gate’s input, pending first', async () => {
    const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
      input: {
        workspaceId,
        name: 'gated',
        spec: {
          ...APPROVAL_SPEC,
          steps: [{ id: 'ok', type: 'approval', message: 'Go on?', input: { amount: 42 } }, APPROVAL_SPEC.steps[1]],
        },
      },
    });
    const planId = plan.data?.createPlan.plan.id;
    expect(planId).toBeDefined();
    const live = await member.client.mutate<{ startExecution: { execution: { id: string } } }>(START_EXECUTION, {
      input: { planId },
    });
    const dry = await admin.client.mutate<{ startExecution: { execution: { id: string } } }>(START_EXECUTION, {
      input: { planId, mode: 'DRY_RUN' },
    });
    const listed = await admin.client.query<{
      workspace: {
        approvals: {
          edges: {
            node: {
              id: string;
              status: string;
              stepInput: unknown;
              execution: {
                id: string;
                mode: string;
                startedBy: { email: string } | null;
                planVersion: { number: number };
                plan: { name: string };
              };
            };
          }[];
        };
      };
    }>(APPROVALS, { slug });
    expect(listed.errors).toEqual([]);
    const nodes = listed.data?.workspace.approvals.edges.map((e) => e.node) ?? [];
    const byRun = new Map(nodes.map((n) => [n.execution.id, n]));
    expect(byRun.get(live.data?.startExecution.execution.id ?? '')).toEqual(
      expect.objectContaining({
        status: 'PENDING',
        stepInput: { amount: 42 },
        execution: expect.objectContaining({
          mode: 'LIVE',
          startedBy: { email: member.email },
          planVersion: { number: 1 },
          plan: { name: 'gated' },
        }),
      }),
    );
    expect(byRun.get(dry.data?.startExecution.execution.id ?? '')?.execution).toEqual(
      expect.objectContaining({ mode: 'DRY_RUN', startedBy: { email: admin.email } }),
    );

    // Deciding the newer (dry-run) gate puts it after the older one still pending.
    const dryApproval = byRun.get(dry.data?.startExecution.execution.id ?? '')?.id;
    const decided = await admin.client.mutate(DECIDE_APPROVAL, {
      input: { approvalId: dryApproval, approve: false, comment: 'not today' },
    });
    expect(decided.errors).toEqual([]);
    const again = await admin.client.query<typeof listed.data>(APPROVALS, { slug });
    const order = (again.data?.workspace.approvals.edges ?? []).map((e) => [e.node.execution.id, e.node.status]);
    const at = (runId: string | undefined) => order.findIndex(([id]) => id === runId);
    expect(at(live.data?.startExecution.execution.id)).toBeLessThan(at(dry.data?.startExecution.execution.id));
    const statuses = order.map(([, status]) => status);
    expect(statuses).toContain('REJECTED');
    expect(statuses.slice(0, statuses.lastIndexOf('PENDING') + 1).every((status) => status === 'PENDING')).toBe(true);
  });
});
