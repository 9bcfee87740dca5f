import { randomBytes } from 'node:crypto';
import {
  encodeGlobalId,
  MUTATION_PERMISSIONS,
  parseTenantId,
  ROLES,
  roleCan,
  type WorkspaceMutation,
} from '@weft/schema';
import { codes, signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import type { DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DELETE_SECRET,
  DRAFT_PLAN,
  INSTALL_PLUGIN,
  MARKETPLACE,
  SET_SECRET,
  START_AB_EXECUTION,
  UNINSTALL_PLUGIN,
  UPGRADE_PLUGIN,
  WORKSPACE_TOOLS,
} from './marketplace-operations.ts';
import {
  ADD_MEMBER,
  APPROVAL_SPEC,
  CANCEL_EXECUTION,
  CANCEL_EXECUTIONS,
  CHANGE_MEMBER_ROLE,
  CREATE_API_TOKEN,
  CREATE_EVENT_TRIGGER,
  CREATE_PLAN,
  CREATE_SCHEDULE,
  CREATE_WEBHOOK,
  CREATE_WEBHOOK_ENDPOINT,
  CREATE_WORKSPACE,
  DECIDE_APPROVAL,
  DELETE_EVENT_TRIGGER,
  DELETE_SCHEDULE,
  DELETE_WEBHOOK,
  DELETE_WEBHOOK_ENDPOINT,
  EXECUTION,
  PAUSE_EXECUTION,
  REMOVE_MEMBER,
  RERUN_EXECUTION,
  RESUME_EXECUTION,
  RETRY_EXECUTION,
  RETRY_EXECUTIONS,
  REVOKE_WORKSPACE_API_TOKEN,
  ROLLBACK_EXECUTION,
  SEND_EVENT,
  START_EXECUTION,
  START_REGRESSION_TEST,
  UPDATE_PLAN,
  UPDATE_SCHEDULE,
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

async function newPlan(spec: object = VALID_SPEC): Promise<string> {
  const r = await call<{ createPlan: { plan: { id: string } } }>(admin.client, CREATE_PLAN, {
    input: { workspaceId, name: `plan-${randomBytes(4).toString('hex')}`, spec },
  });
  return r.data?.createPlan.plan.id ?? '';
}

async function pluginVersionId(name: string): Promise<string> {
  const r = await admin.client.query<{
    marketplace: { edges: { node: { name: string; versions: { id: string }[] } }[] };
  }>(MARKETPLACE, { search: name });
  return r.data?.marketplace.edges.find((e) => e.node.name === name)?.node.versions[0]?.id ?? '';
}

/** The installation of a first-party plugin, installed by the admin when missing (or null: removed). */
async function installation(name: string, wanted: boolean): Promise<string | null> {
  const r = await admin.client.query<{
    workspace: { installedPlugins: { id: string; pluginVersion: { plugin: { name: string } } }[] };
  }>(WORKSPACE_TOOLS, { slug: 'matrix' });
  const found = r.data?.workspace.installedPlugins.find((i) => i.pluginVersion.plugin.name === name)?.id ?? null;
  if (wanted && found === null) {
    const installed = await call<{ installPlugin: { installation: { id: string } } }>(admin.client, INSTALL_PLUGIN, {
      input: { workspaceId, pluginVersionId: await pluginVersionId(name), grantedCapabilities: [] },
    });
    return installed.data?.installPlugin.installation.id ?? null;
  }
  if (!wanted && found !== null) await call(admin.client, UNINSTALL_PLUGIN, { input: { id: found } });
  return wanted ? found : null;
}

/**
 * An execution started by the admin, then moved by the admin through `controls` (this API runs no
 * workers, so nothing else moves it). Returns its id, for the control under test.
 */
async function newExecution(...controls: DocumentNode[]): Promise<string> {
  const r = await call<{ startExecution: { execution: { id: string } } }>(admin.client, START_EXECUTION, {
    input: { planId: await newPlan() },
  });
  const id = r.data?.startExecution.execution.id ?? '';
  for (const doc of controls) {
    const moved = await call<Record<string, { userErrors: unknown[] }>>(admin.client, doc, { input: { id } });
    expect(moved.errors).toEqual([]);
  }
  return id;
}

/**
 * A FAILED run (the only kind retryExecution accepts). This matrix runs no workers, so what a
 * worker would record when the run's step fails is written directly; the call under test is about
 * who may retry, not how a run fails.
 */
async function newFailedExecution(): Promise<string> {
  const id = await newExecution();
  const executionId = parseTenantId(id, 'Execution').id;
  await api.db.pools.owner.query(
    `UPDATE step_runs SET status = 'FAILED', finished_at = now() WHERE execution_id = $1`,
    [executionId],
  );
  await api.db.pools.owner.query(`UPDATE executions SET status = 'FAILED', finished_at = now() WHERE id = $1`, [
    executionId,
  ]);
  return id;
}

/** A pending approval: its plan opens the gate first, so it is open as soon as the run starts. */
async function newApproval(): Promise<string> {
  const r = await call<{ startExecution: { execution: { id: string } } }>(admin.client, START_EXECUTION, {
    input: { planId: await newPlan(APPROVAL_SPEC) },
  });
  const found = await admin.client.query<{ node: { approvals: { id: string }[] } }>(EXECUTION, {
    id: r.data?.startExecution.execution.id,
  });
  return found.data?.node.approvals[0]?.id ?? '';
}

/** Builds the variables for one call of each mutation (fresh targets, so an allowed call succeeds). */
const CASES: Record<
  WorkspaceMutation,
  { doc: DocumentNode; variables: () => Promise<Record<string, unknown>>; audited?: false }
> = {
  createApiToken: { doc: CREATE_API_TOKEN, variables: async () => ({ input: { workspaceId, name: 'matrix' } }) },
  // Another member's token, so an allowed call revokes what is not the caller's own.
  revokeWorkspaceApiToken: {
    doc: REVOKE_WORKSPACE_API_TOKEN,
    variables: async () => {
      const owner = await newMember('MEMBER');
      const r = await call<{ createApiToken: { apiToken: { id: string } } }>(owner.client, CREATE_API_TOKEN, {
        input: { workspaceId, name: 'theirs' },
      });
      return { input: { workspaceId, tokenId: r.data?.createApiToken.apiToken.id } };
    },
  },
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
  // A draft changes nothing (it is not saved), so it writes no audit row.
  draftPlan: {
    doc: DRAFT_PLAN,
    variables: async () => ({ input: { workspaceId, request: 'echo hello' } }),
    audited: false,
  },
  startAbExecution: {
    doc: START_AB_EXECUTION,
    variables: async () => ({ input: { planId: await newPlan(), versionA: 1, versionB: 1, percentB: 50 } }),
  },
  installPlugin: {
    doc: INSTALL_PLUGIN,
    variables: async () => {
      await installation('transform', false);
      return { input: { workspaceId, pluginVersionId: await pluginVersionId('transform'), grantedCapabilities: [] } };
    },
  },
  upgradePlugin: {
    doc: UPGRADE_PLUGIN,
    variables: async () => ({
      input: {
        id: await installation('calendar', true),
        pluginVersionId: await pluginVersionId('calendar'),
        grantedCapabilities: ['http:*'],
      },
    }),
  },
  uninstallPlugin: {
    doc: UNINSTALL_PLUGIN,
    variables: async () => ({ input: { id: await installation('http', true) } }),
  },
  setSecret: {
    doc: SET_SECRET,
    variables: async () => ({ input: { workspaceId, name: `S_${randomBytes(4).toString('hex')}`, value: 'v' } }),
  },
  deleteSecret: {
    doc: DELETE_SECRET,
    variables: async () => {
      const name = `D_${randomBytes(4).toString('hex')}`;
      await call(admin.client, SET_SECRET, { input: { workspaceId, name, value: 'v' } });
      return { input: { workspaceId, name } };
    },
  },
  startExecution: { doc: START_EXECUTION, variables: async () => ({ input: { planId: await newPlan() } }) },
  startRegressionTest: {
    doc: START_REGRESSION_TEST,
    variables: async () => ({ input: { planId: await newPlan(), fixture: { input: null, output: null, steps: {} } } }),
  },
  pauseExecution: { doc: PAUSE_EXECUTION, variables: async () => ({ input: { id: await newExecution() } }) },
  resumeExecution: {
    doc: RESUME_EXECUTION,
    variables: async () => ({ input: { id: await newExecution(PAUSE_EXECUTION) } }),
  },
  cancelExecution: { doc: CANCEL_EXECUTION, variables: async () => ({ input: { id: await newExecution() } }) },
  retryExecution: {
    doc: RETRY_EXECUTION,
    variables: async () => ({ input: { id: await newFailedExecution() } }),
  },
  rollbackExecution: {
    doc: ROLLBACK_EXECUTION,
    variables: async () => ({ input: { id: await newExecution(CANCEL_EXECUTION) } }),
  },
  cancelExecutions: {
    doc: CANCEL_EXECUTIONS,
    variables: async () => ({ input: { ids: [await newExecution(), await newExecution()] } }),
  },
  retryExecutions: {
    doc: RETRY_EXECUTIONS,
    variables: async () => ({ input: { ids: [await newFailedExecution(), await newFailedExecution()] } }),
  },
  rerunExecution: {
    doc: RERUN_EXECUTION,
    variables: async () => ({ input: { id: await newExecution(), input: { edited: true } } }),
  },
  decideApproval: {
    doc: DECIDE_APPROVAL,
    variables: async () => ({ input: { approvalId: await newApproval(), approve: true, comment: 'fine' } }),
  },
  createWebhookEndpoint: {
    doc: CREATE_WEBHOOK_ENDPOINT,
    variables: async () => ({
      input: { workspaceId, url: 'https://hooks.example.invalid/matrix', eventTypes: ['step.*'] },
    }),
  },
  deleteWebhookEndpoint: {
    doc: DELETE_WEBHOOK_ENDPOINT,
    variables: async () => {
      const r = await call<{ createWebhookEndpoint: { webhookEndpoint: { id: string } } }>(
        admin.client,
        CREATE_WEBHOOK_ENDPOINT,
        { input: { workspaceId, url: 'https://hooks.example.invalid/matrix' } },
      );
      return { input: { id: r.data?.createWebhookEndpoint.webhookEndpoint.id } };
    },
  },
  createSchedule: {
    doc: CREATE_SCHEDULE,
    variables: async () => ({ input: { planId: await newPlan(), cron: '0 9 * * 1', paused: true } }),
  },
  updateSchedule: {
    doc: UPDATE_SCHEDULE,
    variables: async () => ({ input: { id: await newSchedule(), cron: '0 10 * * 1' } }),
  },
  deleteSchedule: { doc: DELETE_SCHEDULE, variables: async () => ({ input: { id: await newSchedule() } }) },
  createEventTrigger: {
    doc: CREATE_EVENT_TRIGGER,
    variables: async () => ({ input: { planId: await newPlan(), event: 'matrix.event' } }),
  },
  deleteEventTrigger: {
    doc: DELETE_EVENT_TRIGGER,
    variables: async () => {
      const r = await call<{ createEventTrigger: { eventTrigger: { id: string } } }>(
        admin.client,
        CREATE_EVENT_TRIGGER,
        {
          input: { planId: await newPlan(), event: 'matrix.event' },
        },
      );
      return { input: { id: r.data?.createEventTrigger.eventTrigger.id } };
    },
  },
  sendEvent: { doc: SEND_EVENT, variables: async () => ({ input: { workspaceId, name: 'matrix.nothing', data: {} } }) },
};

async function newSchedule(): Promise<string> {
  const r = await call<{ createSchedule: { schedule: { id: string } } }>(admin.client, CREATE_SCHEDULE, {
    input: { planId: await newPlan(), cron: '0 9 * * 1', paused: true },
  });
  return r.data?.createSchedule.schedule.id ?? '';
}

/** Everything the mutations can change, to prove a refused call changed nothing. */
async function fingerprint(): Promise<string> {
  const { rows } = await api.db.pools.owner.query(`SELECT
      (SELECT count(*) FROM audit_log) AS audit,
      (SELECT string_agg(user_id || role, ',' ORDER BY user_id) FROM memberships) AS members,
      (SELECT count(*) FROM plans) AS plans, (SELECT count(*) FROM plan_versions) AS versions,
      (SELECT count(*) FROM webhooks) AS webhooks, (SELECT count(*) FROM webhook_endpoints) AS endpoints, (SELECT count(*) || '/' || count(revoked_at) FROM auth_tokens) AS tokens,
      (SELECT string_agg(plugin_version_id || array_to_string(granted_capabilities, '+'), ',' ORDER BY id)
         FROM plugin_installations) AS installations,
      (SELECT string_agg(name || updated_at, ',' ORDER BY name) FROM secrets) AS secrets,
      (SELECT count(*) FROM planner_usage) AS drafts,
      (SELECT string_agg(id || status, ',' ORDER BY id) FROM executions) AS executions,
      (SELECT count(*) FROM execution_events) AS events,
      (SELECT string_agg(id || status, ',' ORDER BY id) FROM approvals) AS approvals,
      (SELECT string_agg(id || cron || paused, ',' ORDER BY id) FROM schedules) AS schedules,
      (SELECT count(*) FROM event_triggers) AS triggers, (SELECT count(*) FROM events) AS sent_events`);
  return JSON.stringify(rows[0]);
}

beforeAll(async () => {
  // No workers: executions stay where the admin's controls put them.
  api = await startTestApi({ env: { RATE_LIMIT_PER_MINUTE: '100000', WORKERS: '0' } });
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
    const { doc, variables, audited } = CASES[mutation];
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
      if (audited === false) return;
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
