// The step limits an operator sets in the environment (WORKSPACE_CONCURRENCY, RATE_LIMIT_WORKSPACE,
// RATE_LIMIT_TOOLS) reach the engine that `npm start` builds: a real API with an in-process worker
// runs the steps, so each test only passes if the configured limit is applied where steps run.
import { withTenant } from '@weft/db';
import type { PlanSpec } from '@weft/engine';
import {
  createPlanVersion,
  createWorkspace,
  type ExecutionSnapshot,
  startTestApi,
  type TestApi,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let limited: TestApi;
let slotted: TestApi;

// Two APIs, each over a database of its own, so that each test sees only the limit it is about:
// one slot per workspace would space the steps of the rate-limit tests out (giving the buckets
// time to refill), and the buckets would space the steps of the concurrency test out.
beforeAll(async () => {
  [limited, slotted] = await Promise.all([
    // The workspace bucket holds as many tokens as the tool test takes, so only the tool bucket can
    // hold a step of it back.
    startTestApi({ env: { WORKERS: '1', RATE_LIMIT_WORKSPACE: '3/1', RATE_LIMIT_TOOLS: 'core.echo=1/1' } }),
    startTestApi({ env: { WORKERS: '1', WORKSPACE_CONCURRENCY: '1' } }),
  ]);
});

afterAll(async () => {
  // Drops the APIs' databases too.
  await Promise.all([limited?.close(), slotted?.close()]);
});

/** Runs `spec` on `api`'s workers, in a fresh workspace (no bucket or slot shared between tests), to its end. */
async function run(api: TestApi, spec: PlanSpec): Promise<{ done: ExecutionSnapshot; workspaceId: string }> {
  const { pools } = api.db;
  const { workspaceId, userId } = await createWorkspace(pools);
  const planVersionId = await createPlanVersion(pools, workspaceId, spec);
  const { executionId } = await withTenant(pools.app, { workspaceId }, (c) =>
    api.running.engine.startExecution(c, workspaceId, { planVersionId, actor: { userId, role: 'ADMIN' } }),
  );
  const done = await waitForExecution(pools, workspaceId, executionId, undefined, 15_000);
  expect(done.status).toBe('SUCCEEDED');
  return { done, workspaceId };
}

const rateLimited = (done: ExecutionSnapshot) =>
  done.events.filter((e) => e.type === 'step.rate_limited').map((e) => e.stepId);

describe('step limits from the environment', () => {
  it('RATE_LIMIT_TOOLS makes a tool wait for its own bucket, and only that tool', async () => {
    const { done } = await run(limited, {
      steps: [
        { id: 'e1', tool: 'core.echo', input: { n: 1 } },
        { id: 'e2', tool: 'core.echo', input: { n: 2 } },
        { id: 's', tool: 'core.sleep', input: { ms: 0 } },
      ],
    });
    const held = rateLimited(done);
    // One echo token, the next a second later: one of two parallel echoes waits (even on a slow
    // machine); core.sleep has no bucket of its own and the workspace's has a token for each step.
    expect(held.length).toBeGreaterThanOrEqual(1);
    expect(held.every((stepId) => stepId === 'e1' || stepId === 'e2')).toBe(true);
  });

  it('RATE_LIMIT_WORKSPACE makes all tools of a workspace share one bucket', async () => {
    // No per-tool bucket for core.sleep: only the workspace's three tokens can hold one of four back.
    const { done } = await run(limited, {
      steps: ['a', 'b', 'c', 'd'].map((id) => ({ id, tool: 'core.sleep', input: { ms: 0 } })),
    });
    expect(rateLimited(done).length).toBeGreaterThanOrEqual(1);
  });

  it('WORKSPACE_CONCURRENCY=1 runs parallel steps of a workspace one at a time', async () => {
    const sleepMs = 400;
    const { workspaceId } = await run(slotted, {
      steps: ['a', 'b', 'c'].map((id) => ({ id, tool: 'core.sleep', input: { ms: sleepMs } })),
    });
    const { rows } = await withTenant(slotted.db.pools.app, { workspaceId }, (c) =>
      c.query<{ ms: number }>(
        `SELECT extract(epoch FROM started_at)::float8 * 1000 AS ms FROM step_attempts
          WHERE kind = 'run' ORDER BY started_at`,
      ),
    );
    const starts = rows.map((r) => r.ms);
    expect(starts).toHaveLength(3);
    // Unlimited, the three start together; with one slot each waits for the one before to finish.
    for (let i = 1; i < starts.length; i++) {
      expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(sleepMs * 0.75);
    }
  });
});
