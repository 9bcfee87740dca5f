import { withTenant } from '@weft/db';
import { installPlugin } from '@weft/plugin-host';
import {
  createPlanVersion,
  eventually,
  signUpUser,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
  waitForExecution,
} from '@weft/test-utils';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CREATE_WORKSPACE } from '../graphql/operations.ts';

// /metrics is what an operator's Prometheus scrapes: each series must exist and follow reality.
// The API starts without workers, so a started run waits in the queue until workers start here.

let api: TestApi;
let admin: TestUser;
let workspaceId: string;
let workspaceUuid: string;
let userUuid: string;

/** The value of one series in the Prometheus text format (undefined when the series is absent). */
async function metric(series: string): Promise<number | undefined> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '0' } });
  admin = await signUpUser(new TestClient(api.url), 'operator');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'metrics', name: 'Metrics' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  const { rows } = await api.db.pools.owner.query<{ workspace_id: string; user_id: string }>(
    `SELECT m.workspace_id, m.user_id FROM memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE w.slug = 'metrics'`,
  );
  workspaceUuid = rows[0]?.workspace_id ?? '';
  userUuid = rows[0]?.user_id ?? '';
}, 60_000);

afterAll(() => api?.close());

it('reports executions and steps by status, queue depth and sandbox calls as runs progress', async () => {
  const { rows } = await api.db.pools.owner.query<{ id: string }>(
    "SELECT v.id FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id WHERE p.name = 'transform'",
  );
  const installed = await withTenant(api.db.pools.app, { workspaceId: workspaceUuid }, (client) =>
    installPlugin(client, workspaceUuid, { pluginVersionId: rows[0]?.id ?? '', grantedCapabilities: [] }),
  );
  expect(installed.userErrors).toEqual([]);
  const planVersionId = await createPlanVersion(api.db.pools, workspaceUuid, {
    name: 'measured',
    steps: [
      { id: 'user', tool: 'core.echo', input: { name: 'Ada', password: 'x' } },
      { id: 'public', tool: 'transform.pick', input: { value: '{{ steps.user.output }}', paths: ['name'] } },
    ],
  });

  expect(await metric('weft_executions{status="RUNNING"}')).toBe(0);
  expect(await metric('weft_steps{status="RUNNING"}')).toBe(0);
  expect(await metric('weft_queue_jobs_waiting{task="weft.step"}')).toBe(0);
  expect(await metric('weft_sandbox_calls_total{tool="transform.pick",outcome="ok"}')).toBeUndefined();

  const { engine, pluginHost } = api.running;
  const { executionId } = await withTenant(api.db.pools.app, { workspaceId: workspaceUuid }, (client) =>
    engine.startExecution(client, workspaceUuid, { planVersionId, actor: { userId: userUuid, role: 'ADMIN' } }),
  );
  // No worker yet: the run is RUNNING, its first step dispatched (QUEUED: no worker began it) and its job waiting.
  expect(await metric('weft_executions{status="RUNNING"}')).toBe(1);
  expect(await metric('weft_steps{status="QUEUED"}')).toBe(1);
  expect(await metric('weft_steps{status="RUNNING"}')).toBe(0);
  expect(await metric('weft_steps{status="PENDING"}')).toBe(1);
  expect(await metric('weft_queue_jobs_waiting{task="weft.step"}')).toBe(1);

  await pluginHost.start();
  await engine.startWorkers(1);
  const run = await waitForExecution(api.db.pools, workspaceUuid, executionId, undefined, 30_000);
  expect(run.status).toBe('SUCCEEDED');
  expect(await metric('weft_executions{status="RUNNING"}')).toBe(0);
  expect(await metric('weft_executions{status="SUCCEEDED"}')).toBe(1);
  expect(await metric('weft_steps{status="SUCCEEDED"}')).toBe(2);
  expect(await metric('weft_queue_jobs_waiting{task="weft.step"}')).toBe(0);
  expect(await metric('weft_sandbox_calls_total{tool="transform.pick",outcome="ok"}')).toBe(1);
});

it('counts open subscriptions', async () => {
  const before = (await metric('weft_graphql_subscriptions_open')) ?? -1;
  const client = createClient({
    url: `${api.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${admin.token}` },
  });
  const dispose = client.subscribe(
    {
      query: 'subscription($id: ID!) { workspaceExecutions(workspaceId: $id) { id status } }',
      variables: { id: workspaceId },
    },
    { next: () => {}, error: () => {}, complete: () => {} },
  );
  await eventually(async () => ((await metric('weft_graphql_subscriptions_open')) === before + 1 ? true : undefined));
  dispose();
  await eventually(async () => ((await metric('weft_graphql_subscriptions_open')) === before ? true : undefined));
  await client.dispose();
});

it('times GraphQL operations by type, name and outcome', async () => {
  const series = (outcome: string) =>
    `weft_graphql_operation_duration_seconds_count{type="query",name="Who",outcome="${outcome}"}`;
  const before = (await metric(series('ok'))) ?? 0;
  const query = (text: string) =>
    fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ query: text, operationName: 'Who' }),
    });
  await query('query Who { viewer { id } }');
  await query('query Who { viewer { id } }');
  // A field error (an unknown node id resolves with an error) counts as an error.
  await query('query Who { node(id: "bm9wZQ==") { id } }');
  expect(await metric(series('ok'))).toBe(before + 2);
  expect(await metric(series('error'))).toBeGreaterThanOrEqual(1);
  const sum = await metric(`weft_graphql_operation_duration_seconds_sum{type="query",name="Who",outcome="ok"}`);
  expect(sum).toBeGreaterThan(0);
});
