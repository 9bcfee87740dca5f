import { randomBytes } from 'node:crypto';
import { gql } from '@apollo/client';
import { parseTenantId } from '@weft/schema';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AUDIT_LOG, CREATE_PLAN, CREATE_WORKSPACE, START_EXECUTION } from './operations.ts';

const PRIORITY_OF = gql`
  query PriorityOf($id: ID!) { node(id: $id) { ... on Execution { priority } } }
`;

// `startExecution(input: { priority })` over HTTP: the range is checked with a typed user error and
// nothing written; a valid priority is stored on the run, its queued step carries it, and the
// audit row records it. (Its effect on the order of steps: packages/engine/src/fairness.test.ts.)

type Payload = {
  startExecution: { execution: { id: string } | null; userErrors: { code: string; field: string[] | null }[] };
};

let api: TestApi;
let admin: TestUser;
let planId: string;
const slug = `prio-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  // No workers: the started run's step stays in the queue, where its job's priority can be read.
  api = await startTestApi();
  admin = await signUpUser(new TestClient(api.url), 'admin');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: 'Priority' },
  });
  const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: {
      workspaceId: ws.data?.createWorkspace.workspace.id,
      name: 'one step',
      spec: { steps: [{ id: 'only', tool: 'core.echo', input: { v: 1 } }] },
    },
  });
  planId = plan.data?.createPlan.plan.id ?? '';
});

afterAll(async () => {
  await api?.close();
});

async function runCount(): Promise<number> {
  const { rows } = await api.db.pools.owner.query<{ n: number }>('SELECT count(*)::int AS n FROM executions');
  return rows[0]?.n ?? 0;
}

it('refuses a priority outside -10..10 with a user error, writing nothing', async () => {
  const before = await runCount();
  for (const priority of [11, -11]) {
    const result = await admin.client.mutate<Payload>(START_EXECUTION, { input: { planId, priority } });
    expect(result.data?.startExecution.execution).toBeNull();
    expect(result.data?.startExecution.userErrors).toEqual([
      expect.objectContaining({ code: 'INVALID_INPUT', field: ['priority'] }),
    ]);
  }
  expect(await runCount()).toBe(before);
});

it('stores a valid priority on the run (readable back), its queued job and the audit row', async () => {
  const urgent = await admin.client.mutate<Payload>(START_EXECUTION, { input: { planId, priority: -10 } });
  const normal = await admin.client.mutate<Payload>(START_EXECUTION, { input: { planId } });
  const globalIds = [urgent, normal].map((r) => {
    const id = r.data?.startExecution.execution?.id;
    if (id === undefined) throw new Error(JSON.stringify(r));
    return id;
  });
  const read = await Promise.all(
    globalIds.map((id) => admin.client.query<{ node: { priority: number } }>(PRIORITY_OF, { id })),
  );
  expect(read.map((r) => r.data?.node.priority)).toEqual([-10, 0]);
  const ids = globalIds.map((id) => parseTenantId(id, 'Execution').id);
  const { rows } = await api.db.pools.owner.query<{ id: string; priority: number; job_priority: number }>(
    `SELECT x.id, x.priority, j.priority AS job_priority
       FROM executions x JOIN graphile_worker._private_jobs j ON j.payload ->> 'e' = x.id::text
      WHERE x.id = ANY($1)`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  expect(byId.get(ids[0] ?? '')?.priority).toBe(-10);
  expect(byId.get(ids[1] ?? '')?.priority).toBe(0);
  // Queued later with one more step of its workspace waiting, the urgent run's job still comes first.
  expect(byId.get(ids[0] ?? '')?.job_priority).toBeLessThan(byId.get(ids[1] ?? '')?.job_priority ?? 0);
  const audit = await admin.client.query<{
    workspace: { auditLog: { edges: { node: { action: string; data: { after?: { priority?: number } } } }[] } };
  }>(AUDIT_LOG, { slug });
  const starts = audit.data?.workspace.auditLog.edges.filter((e) => e.node.action === 'execution.start') ?? [];
  expect(starts.map((e) => e.node.data.after?.priority ?? 0).sort()).toEqual([-10, 0]);
});
