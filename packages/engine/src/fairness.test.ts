import { withTenant } from '@weft/db';
import {
  createPlanVersion,
  createTestDatabase,
  createWorkspace,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type EngineOptions } from './engine.ts';
import type { PlanSpec, ToolDefinition } from './types.ts';

// A flood of queued steps in one workspace must not starve another workspace's run, and a run's
// priority orders it within its workspace. The order is read from when each step's attempt
// began (the database's clock), never from how fast anything was.

const ONE_STEP: PlanSpec = { steps: [{ id: 'only', tool: 'core.echo', input: { v: 1 } }] };
const THREE_STEPS: PlanSpec = {
  steps: [
    { id: 'a', tool: 'core.echo', input: { v: 1 } },
    { id: 'b', tool: 'core.echo', input: { v: 2 } },
    { id: 'c', tool: 'core.echo', input: { v: 3 } },
  ],
};

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 8 });
});

afterAll(async () => {
  await db?.drop();
});

type Ws = { workspaceId: string; userId: string };

async function start(engine: Engine, ws: Ws, planVersionId: string, priority?: number): Promise<string> {
  const { executionId } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
    engine.startExecution(client, ws.workspaceId, {
      planVersionId,
      input: {},
      actor: { userId: ws.userId, role: 'ADMIN' },
      ...(priority === undefined ? {} : { priority }),
    }),
  );
  return executionId;
}

/** `count` one-step runs of `ws`, queued before any worker runs. */
async function flood(engine: Engine, ws: Ws, count: number): Promise<string[]> {
  const version = await createPlanVersion(db.pools, ws.workspaceId, ONE_STEP);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 10) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => start(engine, ws, version)))));
  }
  return ids;
}

/** When the first attempt of each step of these runs began, oldest first. */
async function attemptStarts(executionIds: string[]): Promise<{ execution_id: string; at: Date }[]> {
  const { rows } = await db.pools.owner.query<{ execution_id: string; at: Date }>(
    `SELECT execution_id, started_at AS at FROM step_attempts WHERE execution_id = ANY($1) AND attempt = 1
      ORDER BY started_at`,
    [executionIds],
  );
  return rows;
}

describe('fair dispatch', () => {
  it("a workspace's 3-step run finishes while another has hundreds of steps queued", async () => {
    const engine = createEngine({ pools: db.pools, workerConcurrency: 2, localQueueSize: 1, pollIntervalMs: 100 });
    try {
      const a = await createWorkspace(db.pools);
      const b = await createWorkspace(db.pools);
      const flooded = await flood(engine, a, 300);
      const small = await start(engine, b, await createPlanVersion(db.pools, b.workspaceId, THREE_STEPS));
      await engine.startWorkers(1);
      const done = await waitForExecution(db.pools, b.workspaceId, small);
      expect(done.status).toBe('SUCCEEDED');
      const bSteps = await attemptStarts([small]);
      expect(bSteps).toHaveLength(3);
      const lastOfB = Math.max(...bSteps.map((s) => s.at.getTime()));
      // Without fair dispatch B's steps queue behind all 300 of A's (first come, first served).
      const aBefore = (await attemptStarts(flooded)).filter((s) => s.at.getTime() < lastOfB).length;
      expect(aBefore).toBeLessThan(20);
      // ... and A still had hundreds of steps waiting when B was done.
      expect(flooded.length - aBefore).toBeGreaterThan(250);
    } finally {
      await engine.stop();
    }
  });

  it("a run's priority puts its steps ahead of its own workspace's backlog", async () => {
    const engine = createEngine({ pools: db.pools, workerConcurrency: 2, localQueueSize: 1, pollIntervalMs: 100 });
    try {
      const ws = await createWorkspace(db.pools);
      const backlog = await flood(engine, ws, 200);
      const version = await createPlanVersion(db.pools, ws.workspaceId, ONE_STEP);
      const normal = await start(engine, ws, version);
      const urgent = await start(engine, ws, version, -10);
      await engine.startWorkers(1);
      await waitForExecution(db.pools, ws.workspaceId, urgent);
      await waitForExecution(db.pools, ws.workspaceId, normal);
      const order = (await attemptStarts([...backlog, normal, urgent])).map((s) => s.execution_id);
      const urgentAt = order.indexOf(urgent);
      expect(urgentAt).toBeGreaterThanOrEqual(0);
      expect(urgentAt).toBeLessThan(order.indexOf(normal));
      // Ahead of most of the backlog queued before it.
      expect(urgentAt).toBeLessThan(backlog.length / 2);
    } finally {
      await engine.stop();
    }
  });

  /**
   * A's 40 one-step runs block until released, queued before the worker (4 regular slots) starts;
   * once `holding` of them run, B's 3-step run starts. Returns how B's run ended and what A held
   * meanwhile; A is released and drained afterwards.
   */
  async function neighbourOfStuckFlood(options: Partial<EngineOptions>, holding: number) {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen = { inFlight: 0, mostInFlight: 0, begun: 0 };
    const block: ToolDefinition = {
      name: 'test.block',
      version: '1.0.0',
      description: 'waits for the test to release it',
      inputSchema: { type: 'object' },
      run: async () => {
        seen.begun++;
        seen.inFlight++;
        seen.mostInFlight = Math.max(seen.mostInFlight, seen.inFlight);
        await gate;
        seen.inFlight--;
        return {};
      },
    };
    const engine = createEngine({ pools: db.pools, workerConcurrency: 4, pollIntervalMs: 100, ...options });
    engine.registerProvider({ name: 'test', listTools: async () => [block] });
    const a = await createWorkspace(db.pools);
    const b = await createWorkspace(db.pools);
    const stuck = await createPlanVersion(db.pools, a.workspaceId, { steps: [{ id: 'x', tool: 'test.block' }] });
    const floodIds: string[] = [];
    try {
      for (let i = 0; i < 40; i++) floodIds.push(await start(engine, a, stuck));
      await engine.startWorkers(1);
      while (seen.inFlight < holding) await new Promise((r) => setTimeout(r, 20));
      const small = await start(engine, b, await createPlanVersion(db.pools, b.workspaceId, THREE_STEPS));
      const done = await waitForExecution(db.pools, b.workspaceId, small);
      return { status: done.status, ...seen };
    } finally {
      release();
      for (const id of floodIds) await waitForExecution(db.pools, a.workspaceId, id);
      await engine.stop();
    }
  }

  it("with a workspace share, a flood never holds every slot: another's run finishes while it is stuck", async () => {
    // Without the share A's steps would hold all 4 slots and B's run could not begin before the
    // release. A workspace may hold 2 of the worker's 4 slots. No reserved slot: this is the share
    // alone (the next test is the reserved slots alone).
    const seen = await neighbourOfStuckFlood({ workspaceSlots: 2, reservedSlots: 0 }, 2);
    expect(seen.status).toBe('SUCCEEDED');
    // B finished with A's flood still stuck: A held its 2 slots, no more, and 38 steps still waited.
    expect(seen.mostInFlight).toBe(2);
    expect(seen.begun).toBe(2);
  });

  it("by default a flood holding every slot leaves a reserved one: another's run finishes while it is stuck", async () => {
    // A's steps reach the worker as one burst: the 4 regular slots take them, and the reserved
    // slots may take the burst's first (queued with nothing waiting) but never a second: a
    // workspace that runs a job here is kept out of them. B's 3 steps then run in a reserved slot.
    const seen = await neighbourOfStuckFlood({}, 4);
    expect(seen.status).toBe('SUCCEEDED');
    // B finished with A's steps still stuck, holding the 4 regular slots and at most one reserved.
    expect(seen.inFlight).toBeGreaterThanOrEqual(4);
    expect(seen.mostInFlight).toBeLessThanOrEqual(5);
  });

  it('refuses a priority outside -10..10', async () => {
    const engine = createEngine({ pools: db.pools });
    const ws = await createWorkspace(db.pools);
    const version = await createPlanVersion(db.pools, ws.workspaceId, ONE_STEP);
    for (const priority of [11, -11, 1.5]) {
      await expect(start(engine, ws, version, priority)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    await engine.stop();
  });
});
