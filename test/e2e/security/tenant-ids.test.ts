// Ids of tenant rows are unique only within a workspace, so no client may choose one: a workspace
// admin who could give a row of their own workspace another workspace's id might make state keyed
// by that id stand for the other's. Every path a client reaches (GraphQL, the admin API) is tried
// with an id taken from another workspace; and where ids do collide (forced here with the owner
// pool), each workspace's run still executes its own spec.
import { gql } from '@apollo/client';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_PLAN, CREATE_WORKSPACE, START_EXECUTION } from '../graphql/operations.ts';

interface Side {
  user: TestUser;
  /** Global ids, as the API gives them. */
  workspaceId: string;
  planId: string;
  /** Database ids. */
  workspaceUuid: string;
  planUuid: string;
  versionUuid: string;
}

let api: TestApi;
let victim: Side;
let attacker: Side;

const echoSpec = (who: string, stepId: string) => ({
  name: who,
  steps: [{ id: stepId, tool: 'core.echo', input: { who } }],
});

async function side(label: string, spec: ReturnType<typeof echoSpec>): Promise<Side> {
  const user = await signUpUser(new TestClient(api.url), label);
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: label, name: label },
  });
  const workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  const plan = await user.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: { workspaceId, name: label, spec },
  });
  const { rows } = await api.db.pools.owner.query<{ workspace_id: string; plan_id: string; id: string }>(
    `SELECT v.workspace_id, v.plan_id, v.id FROM plan_versions v JOIN workspaces w ON w.id = v.workspace_id
      WHERE w.slug = $1`,
    [label],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`no plan version for ${label}`);
  return {
    user,
    workspaceId,
    planId: plan.data?.createPlan.plan.id ?? '',
    workspaceUuid: row.workspace_id,
    planUuid: row.plan_id,
    versionUuid: row.id,
  };
}

/** What an attack must leave as it was: every plan version, execution and audit row. */
async function snapshot() {
  const { rows } = await api.db.pools.owner.query<{ versions: string; executions: string; audit: string }>(
    `SELECT (SELECT string_agg(workspace_id || '/' || id, ',' ORDER BY workspace_id, id) FROM plan_versions) AS versions,
            (SELECT string_agg(workspace_id || '/' || id, ',' ORDER BY workspace_id, id) FROM executions) AS executions,
            (SELECT count(*)::text FROM audit_log) AS audit`,
  );
  return rows[0];
}

async function adminApi(user: TestUser, workspaceUuid: string, query: string) {
  const res = await fetch(`${api.url}/admin/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${user.token}`,
      'x-weft-workspace': workspaceUuid,
    },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
}

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  victim = await side('victim', echoSpec('victim', 'mine'));
  attacker = await side('attacker', echoSpec('attacker', 'theirs'));
});
afterAll(() => api?.close());

describe('client-chosen ids', () => {
  it('GraphQL inputs take no row id: an id in createPlan is refused and nothing is written', async () => {
    const before = await snapshot();
    const result = await attacker.user.client.mutate(CREATE_PLAN, {
      input: { workspaceId: attacker.workspaceId, name: 'chosen', spec: echoSpec('x', 'x'), id: victim.versionUuid },
    });
    expect(result.data?.createPlan ?? null).toBeNull();
    expect(result.errors[0]?.message).toMatch(/"id" is not defined by type "CreatePlanInput"/);
    expect(await snapshot()).toEqual(before);
  });

  it("the admin API cannot insert a row under another workspace's id", async () => {
    const before = await snapshot();
    const version = await adminApi(
      attacker.user,
      attacker.workspaceUuid,
      `mutation { createPlanVersion(input: { planVersion: {
          workspaceId: "${attacker.workspaceUuid}", rowId: "${victim.versionUuid}", planId: "${attacker.planUuid}",
          number: 2, spec: {steps: []}, contentHash: "x" } }) { clientMutationId } }`,
    );
    expect(version.errors?.length ?? 0).toBeGreaterThan(0);
    expect(version.data?.createPlanVersion ?? null).toBeNull();
    const execution = await adminApi(
      attacker.user,
      attacker.workspaceUuid,
      `mutation { createExecution(input: { execution: {
          workspaceId: "${attacker.workspaceUuid}", rowId: "${victim.versionUuid}", planId: "${attacker.planUuid}",
          planVersionId: "${attacker.versionUuid}" } }) { clientMutationId } }`,
    );
    expect(execution.errors?.length ?? 0).toBeGreaterThan(0);
    expect(execution.data?.createExecution ?? null).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  it("the admin API cannot change a row's id to another workspace's", async () => {
    const before = await snapshot();
    const changed = await adminApi(
      attacker.user,
      attacker.workspaceUuid,
      `mutation { updatePlanVersionByWorkspaceIdAndRowId(input: {
          workspaceId: "${attacker.workspaceUuid}", rowId: "${attacker.versionUuid}",
          planVersionPatch: { rowId: "${victim.versionUuid}" } }) { clientMutationId } }`,
    );
    expect(changed.errors?.length ?? 0).toBeGreaterThan(0);
    expect(await snapshot()).toEqual(before);
  });
});

describe('ids that collide anyway', () => {
  const RUN = gql`
    query Run($id: ID!) { node(id: $id) { ... on Execution { status steps { stepId status output } } } }
  `;

  async function run(s: Side) {
    const started = await s.user.client.mutate<{ startExecution: { execution: { id: string } | null } }>(
      START_EXECUTION,
      {
        input: { planId: s.planId },
      },
    );
    const id = started.data?.startExecution.execution?.id;
    if (id === undefined) throw new Error(`start failed: ${JSON.stringify(started)}`);
    for (let i = 0; i < 200; i++) {
      const { data } = await s.user.client.query<{
        node: { status: string; steps: Array<{ stepId: string; status: string; output: unknown }> };
      }>(RUN, { id });
      if (data?.node.status === 'SUCCEEDED' || data?.node.status === 'FAILED') return data.node;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('run did not finish');
  }

  it('runs each workspace its own spec when their plan versions share an id', async () => {
    // The victim's run puts its version in the engine's plan cache.
    expect((await run(victim)).steps).toEqual([{ stepId: 'mine', status: 'SUCCEEDED', output: { who: 'victim' } }]);
    // The attacker's version gets the victim's id (the owner pool forces what no client may do).
    await api.db.pools.owner.query('UPDATE plan_versions SET id = $1 WHERE workspace_id = $2 AND id = $3', [
      victim.versionUuid,
      attacker.workspaceUuid,
      attacker.versionUuid,
    ]);
    expect((await run(attacker)).steps).toEqual([
      { stepId: 'theirs', status: 'SUCCEEDED', output: { who: 'attacker' } },
    ]);
    expect((await run(victim)).steps).toEqual([{ stepId: 'mine', status: 'SUCCEEDED', output: { who: 'victim' } }]);
  });
});
