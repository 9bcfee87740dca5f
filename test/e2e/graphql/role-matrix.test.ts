import { randomBytes } from 'node:crypto';
import { encodeGlobalId, MUTATION_PERMISSIONS, ROLES, roleCan, type WorkspaceMutation } from '@weft/schema';
import { codes, signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import type { DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADD_MEMBER,
  CHANGE_MEMBER_ROLE,
  CREATE_API_TOKEN,
  CREATE_PLAN,
  CREATE_WEBHOOK,
  CREATE_WEBHOOK_ENDPOINT,
  CREATE_WORKSPACE,
  DELETE_WEBHOOK,
  DELETE_WEBHOOK_ENDPOINT,
  REMOVE_MEMBER,
  UPDATE_PLAN,
  VALID_SPEC,
} from './operations.ts';

// Every workspace mutation × every role, expectations computed from the CASL abilities themselves:
// allowed → it works; not allowed → FORBIDDEN, nothing changes, no audit row; outsider → NOT_FOUND.

let api: TestApi;
let anonymous: TestClient;
let admin: TestUser;
let workspaceId: string;
const users: Record<string, TestUser> = {};

async function call<T>(client: TestClient, doc: DocumentNode, variables: Record<string, unknown>) {
  return client.mutate<T>(doc, variables);
}

async function newMember(role: string): Promise<TestUser> {
  const user = await signUpUser(anonymous, 'target');
  const r = await call(admin.client, ADD_MEMBER, { input: { workspaceId, email: user.email, role } });
  expect(r.errors).toEqual([]);
  return user;
}

async function newPlan(): Promise<string> {
  const r = await call<{ createPlan: { plan: { id: string } } }>(admin.client, CREATE_PLAN, {
    input: { workspaceId, name: `plan-${randomBytes(4).toString('hex')}`, spec: VALID_SPEC },
  });
  return r.data?.createPlan.plan.id ?? '';
}

/** Builds the variables for one call of each mutation (fresh targets, so an allowed call succeeds). */
const CASES: Record<WorkspaceMutation, { doc: DocumentNode; variables: () => Promise<Record<string, unknown>> }> = {
  createApiToken: { doc: CREATE_API_TOKEN, variables: async () => ({ input: { workspaceId, name: 'matrix' } }) },
  addMember: {
    doc: ADD_MEMBER,
    variables: async () => ({
      input: { workspaceId, email: (await signUpUser(anonymous, 'invitee')).email, role: 'VIEWER' },
    }),
  },
  changeMemberRole: {
    doc: CHANGE_MEMBER_ROLE,
    variables: async () => ({ input: { workspaceId, userId: (await newMember('VIEWER')).id, role: 'MEMBER' } }),
  },
  removeMember: {
    doc: REMOVE_MEMBER,
    variables: async () => ({ input: { workspaceId, userId: (await newMember('VIEWER')).id } }),
  },
  createPlan: {
    doc: CREATE_PLAN,
    variables: async () => ({ input: { workspaceId, name: `p-${randomBytes(4).toString('hex')}`, spec: VALID_SPEC } }),
  },
  updatePlan: {
    doc: UPDATE_PLAN,
    variables: async () => ({ input: { planId: await newPlan(), spec: VALID_SPEC, message: 'again' } }),
  },
  createWebhook: { doc: CREATE_WEBHOOK, variables: async () => ({ input: { planId: await newPlan() } }) },
  deleteWebhook: {
    doc: DELETE_WEBHOOK,
    variables: async () => {
      const r = await call<{ createWebhook: { webhook: { id: string } } }>(admin.client, CREATE_WEBHOOK, {
        input: { planId: await newPlan() },
      });
      return { input: { id: r.data?.createWebhook.webhook.id } };
    },
  },
  createWebhookEndpoint: {
    doc: CREATE_WEBHOOK_ENDPOINT,
    variables: async () => ({ input: { workspaceId, url: 'http://127.0.0.1:9/matrix', eventTypes: ['step.*'] } }),
  },
  deleteWebhookEndpoint: {
    doc: DELETE_WEBHOOK_ENDPOINT,
    variables: async () => {
      const r = await call<{ createWebhookEndpoint: { webhookEndpoint: { id: string } } }>(
        admin.client,
        CREATE_WEBHOOK_ENDPOINT,
        { input: { workspaceId, url: 'http://127.0.0.1:9/matrix' } },
      );
      return { input: { id: r.data?.createWebhookEndpoint.webhookEndpoint.id } };
    },
  },
};

/** Everything the mutations can change, to prove a refused call changed nothing. */
async function fingerprint(): Promise<string> {
  const { rows } = await api.db.pools.owner.query(`SELECT
      (SELECT count(*) FROM audit_log) AS audit,
      (SELECT string_agg(user_id || role, ',' ORDER BY user_id) FROM memberships) AS members,
      (SELECT count(*) FROM plans) AS plans, (SELECT count(*) FROM plan_versions) AS versions,
      (SELECT count(*) FROM webhooks) AS webhooks,
      (SELECT count(*) FROM webhook_endpoints) AS endpoints, (SELECT count(*) FROM auth_tokens) AS tokens`);
  return JSON.stringify(rows[0]);
}

beforeAll(async () => {
  api = await startTestApi({ env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'owner');
  const ws = await call<{ createWorkspace: { workspace: { id: string } } }>(admin.client, CREATE_WORKSPACE, {
    input: { slug: 'matrix', name: 'Matrix' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  for (const role of ROLES) users[role] = await newMember(role);
  users.OUTSIDER = await signUpUser(anonymous, 'outsider');
});
afterAll(() => api?.close());

const mutations = Object.keys(MUTATION_PERMISSIONS) as WorkspaceMutation[];

describe.each([...ROLES, 'OUTSIDER' as const])('%s', (role) => {
  it.each(mutations)('%s', async (mutation) => {
    const [action, subject] = MUTATION_PERMISSIONS[mutation];
    const { doc, variables } = CASES[mutation];
    const vars = await variables();
    const before = await fingerprint();
    const user = users[role];
    if (user === undefined) throw new Error(`no user for ${role}`);
    const result = await call<Record<string, { userErrors: unknown[] }>>(user.client, doc, vars);
    if (role === 'OUTSIDER') {
      expect(codes(result)).toEqual(['NOT_FOUND']);
      expect(await fingerprint()).toBe(before);
    } else if (roleCan(role, action, subject)) {
      expect(result.errors).toEqual([]);
      expect(result.data?.[mutation]?.userErrors).toEqual([]);
      const { rows } = await api.db.pools.owner.query<{ actor_id: string }>(
        'SELECT actor_id FROM audit_log ORDER BY at DESC LIMIT 1',
      );
      expect(encodeGlobalId('User', rows[0]?.actor_id ?? '')).toBe(user.id);
    } else {
      expect(codes(result)).toEqual(['FORBIDDEN']);
      expect(await fingerprint()).toBe(before);
    }
  });
});
