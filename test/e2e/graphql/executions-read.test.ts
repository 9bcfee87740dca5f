import { randomUUID } from 'node:crypto';
import { gql } from '@apollo/client';
import { encodeTenantId } from '@weft/schema';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CREATE_PLAN, CREATE_WORKSPACE, VALID_SPEC } from './operations.ts';

// Executions are written by the engine; these rows are written the way it writes them, and the
// API must read whatever exists.

let api: TestApi;
let user: TestUser;
let ws: string;
let workspaceId: string;
let executionGid: string;

const EXECUTION = gql`
  query Execution($id: ID!) {
    node(id: $id) {
      ... on Execution {
        status mode input error createdAt startedAt
        planVersion { number }
        steps { stepId status attempts output cacheHit }
        events(afterSeq: 1) { seq type stepId data }
      }
    }
  }
`;

beforeAll(async () => {
  api = await startTestApi();
  user = await signUpUser(new TestClient(api.url), 'reader');
  const created = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'reads', name: 'Reads' },
  });
  workspaceId = created.data?.createWorkspace.workspace.id ?? '';
  await user.client.mutate(CREATE_PLAN, { input: { workspaceId, name: 'p', spec: VALID_SPEC } });
  const { rows } = await api.db.pools.owner.query<{ workspace_id: string; plan_id: string; id: string }>(
    'SELECT workspace_id, plan_id, id FROM plan_versions',
  );
  const v = rows[0];
  if (!v) throw new Error('no version');
  ws = v.workspace_id;
  const id = randomUUID();
  executionGid = encodeTenantId('Execution', ws, id);
  const q = (sql: string, params: unknown[]) => api.db.pools.owner.query(sql, params);
  await q(
    `INSERT INTO executions (workspace_id, id, plan_id, plan_version_id, status, input, started_at, last_seq)
     VALUES ($1, $2, $3, $4, 'WAITING_APPROVAL', '{"n":1}', now(), 3)`,
    [ws, id, v.plan_id, v.id],
  );
  await q(
    `INSERT INTO step_runs (workspace_id, execution_id, step_id, status, attempts, output, started_at)
     VALUES ($1, $2, 'hello', 'SUCCEEDED', 1, '{"text":"hi"}', now()), ($1, $2, 'wait', 'WAITING_APPROVAL', 0, NULL, NULL)`,
    [ws, id],
  );
  await q(
    `INSERT INTO execution_events (workspace_id, execution_id, seq, type, step_id, data) VALUES
     ($1, $2, 1, 'execution.started', NULL, NULL), ($1, $2, 2, 'step.succeeded', 'hello', '{"ms":3}'),
     ($1, $2, 3, 'approval.requested', 'wait', NULL)`,
    [ws, id],
  );
  await q("INSERT INTO approvals (workspace_id, execution_id, step_id, message) VALUES ($1, $2, 'wait', 'Go on?')", [
    ws,
    id,
  ]);
});
afterAll(() => api?.close());

describe('reading what the engine wrote', () => {
  it('answers an execution with its steps, events after a sequence number and plan version', async () => {
    const result = await user.client.query<{ node: Record<string, unknown> }>(EXECUTION, { id: executionGid });
    expect(result.errors).toEqual([]);
    expect(result.data?.node).toMatchObject({
      status: 'WAITING_APPROVAL',
      mode: 'LIVE',
      input: { n: 1 },
      planVersion: { number: 1 },
      steps: [
        { stepId: 'hello', status: 'SUCCEEDED', attempts: 1, output: { text: 'hi' }, cacheHit: false },
        { stepId: 'wait', status: 'WAITING_APPROVAL', attempts: 0, output: null },
      ],
      events: [
        { seq: 2, type: 'step.succeeded', stepId: 'hello', data: { ms: 3 } },
        { seq: 3, type: 'approval.requested', stepId: 'wait', data: null },
      ],
    });
  });

  it('lists executions and approvals by status', async () => {
    const result = await user.client.query<{
      workspace: {
        waiting: { edges: unknown[] };
        done: { edges: unknown[] };
        approvals: { edges: { node: unknown }[] };
      };
    }>(
      gql`query Lists {
        workspace(slug: "reads") {
          waiting: executions(status: WAITING_APPROVAL) { edges { node { id } } }
          done: executions(status: SUCCEEDED) { edges { node { id } } }
          approvals(status: PENDING) { edges { node { stepId status message execution { id } } } }
        }
      }`,
    );
    expect(result.data?.workspace.waiting.edges).toHaveLength(1);
    expect(result.data?.workspace.done.edges).toHaveLength(0);
    expect(result.data?.workspace.approvals.edges[0]?.node).toEqual({
      stepId: 'wait',
      status: 'PENDING',
      message: 'Go on?',
      execution: { id: executionGid },
    });
  });

  it('replays stored events after afterSeq over executionEvents, then keeps tailing', async () => {
    const client = createClient({
      url: `${api.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${user.token}` },
    });
    const seqs: number[] = [];
    // The run is not finished, so the stream stays open after the replay; stop once both arrived.
    await new Promise<void>((resolve, reject) => {
      client.subscribe<{ executionEvents: { seq: number } }>(
        {
          query: 'subscription($id: ID!) { executionEvents(executionId: $id, afterSeq: 1) { seq type } }',
          variables: { id: executionGid },
        },
        {
          next: (v) => {
            seqs.push(v.data?.executionEvents.seq ?? -1);
            if (seqs.length === 2) resolve();
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    await client.dispose();
    expect(seqs).toEqual([2, 3]);
  });

  it('loads a page of plans with a fixed number of database round trips (no N+1)', async () => {
    const PAGE = gql`query Page { workspace(slug: "reads") { plans(first: 100) { edges { node {
      name latestVersion { number spec createdBy { email } } } } } } }`;
    const checkouts = async () => {
      let count = 0;
      const pool = api.running.pools.app;
      const onAcquire = () => count++;
      pool.on('acquire', onAcquire);
      try {
        const result = await user.client.query<{ workspace: { plans: { edges: unknown[] } } }>(PAGE);
        expect(result.errors).toEqual([]);
        return { count, plans: result.data?.workspace.plans.edges.length };
      } finally {
        pool.off('acquire', onAcquire);
      }
    };
    const one = await checkouts();
    for (let i = 0; i < 30; i++) {
      await user.client.mutate(CREATE_PLAN, { input: { workspaceId, name: `n${i}`, spec: VALID_SPEC } });
    }
    const many = await checkouts();
    expect([one.plans, many.plans]).toEqual([1, 31]);
    expect(many.count).toBe(one.count);
  });
});
