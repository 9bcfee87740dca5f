// Row ids are unique only within a workspace (primary keys are `(workspace_id, id)`), so the
// engine's in-process state must be keyed by workspace too. Each case forces two workspaces' rows
// to share an id (inserted with the owner pool, as an attacker able to choose an id would) and
// checks that one workspace's run never uses or disturbs the other's.
import { randomUUID } from 'node:crypto';
import { withTenant } from '@weft/db';
import {
  createPlanVersion,
  createTestDatabase,
  createWorkspace,
  eventually,
  readExecution,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPlan } from './canonical-json.ts';
import { createEngine, type Engine } from './engine.ts';
import { ExecutionBatcher } from './execution-batcher.ts';
import type { Runtime } from './runtime.ts';
import type { PlanSpec, TenantClient } from './types.ts';

type Ws = { workspaceId: string; userId: string };

let db: TestDatabase;
let engine: Engine;
let victim: Ws;
let attacker: Ws;
/** Calls of `test.hang`: which workspace's call started, and which was aborted (and why). */
const hangs: Array<{ workspaceId: string; executionId: string; event: 'started' | 'aborted'; reason?: string }> = [];

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  engine = createEngine({ pools: db.pools, stepLeaseMs: 3000, workerConcurrency: 8, pollIntervalMs: 100 });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        {
          name: 'test.hang',
          version: '1.0.0',
          description: 'runs until its abort signal fires, recording both',
          inputSchema: { type: 'object' },
          run(_input, ctx) {
            hangs.push({ workspaceId: ctx.workspaceId, executionId: ctx.executionId, event: 'started' });
            return new Promise((_resolve, reject) => {
              ctx.signal.addEventListener('abort', () => {
                const reason = String(ctx.signal.reason);
                hangs.push({ workspaceId: ctx.workspaceId, executionId: ctx.executionId, event: 'aborted', reason });
                reject(ctx.signal.reason);
              });
            });
          },
        },
      ];
    },
  });
  await engine.startWorkers(1);
  victim = await createWorkspace(db.pools);
  attacker = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

const inWs = <T>(ws: Ws, work: (client: TenantClient) => Promise<T>): Promise<T> =>
  withTenant(db.pools.app, { workspaceId: ws.workspaceId }, work);

const admin = (ws: Ws) => ({ userId: ws.userId, role: 'ADMIN' as const });

async function start(ws: Ws, planVersionId: string): Promise<string> {
  const { executionId } = await inWs(ws, (c) =>
    engine.startExecution(c, ws.workspaceId, { planVersionId, input: {}, actor: admin(ws) }),
  );
  return executionId;
}

/** A plan of `ws` whose version 1 has the given id and spec (the owner pool forces the id). */
async function planVersionWithId(ws: Ws, id: string, spec: PlanSpec): Promise<string> {
  const { rows } = await db.pools.owner.query<{ id: string }>(
    'INSERT INTO plans (workspace_id, name, latest_version) VALUES ($1, $2, 1) RETURNING id',
    [ws.workspaceId, `forced-${randomUUID().slice(0, 8)}`],
  );
  const planId = rows[0]?.id ?? '';
  await db.pools.owner.query(
    `INSERT INTO plan_versions (workspace_id, id, plan_id, number, spec, content_hash) VALUES ($1, $2, $3, 1, $4, $5)`,
    [ws.workspaceId, id, planId, JSON.stringify(spec), hashPlan(spec)],
  );
  return planId;
}

const echoSpec = (who: string, stepId: string): PlanSpec => ({
  steps: [{ id: stepId, tool: 'core.echo', input: { who } }],
});

describe('plan versions sharing an id across workspaces', () => {
  it('runs each workspace its own spec when the victim runs (and caches) the version first', async () => {
    const versionId = await createPlanVersion(db.pools, victim.workspaceId, echoSpec('victim', 'mine'));
    const victimRun = await start(victim, versionId);
    expect((await waitForExecution(db.pools, victim.workspaceId, victimRun)).status).toBe('SUCCEEDED');

    await planVersionWithId(attacker, versionId, echoSpec('attacker', 'theirs'));
    const attackerRun = await start(attacker, versionId);
    const done = await waitForExecution(db.pools, attacker.workspaceId, attackerRun);
    expect(done.status).toBe('SUCCEEDED');
    expect(Object.keys(done.steps)).toEqual(['theirs']);
    expect(done.steps.theirs?.output).toEqual({ who: 'attacker' });
  });

  it("never runs a spec cached by another workspace's run in the victim's workspace", async () => {
    // The attacker runs first, so its spec is what a cache keyed by the id alone would hold.
    const victimVersion = await createPlanVersion(db.pools, victim.workspaceId, echoSpec('victim', 'mine'));
    await planVersionWithId(attacker, victimVersion, echoSpec('attacker', 'theirs'));
    const attackerRun = await start(attacker, victimVersion);
    expect((await waitForExecution(db.pools, attacker.workspaceId, attackerRun)).status).toBe('SUCCEEDED');

    const victimRun = await start(victim, victimVersion);
    const done = await waitForExecution(db.pools, victim.workspaceId, victimRun);
    expect(done.status).toBe('SUCCEEDED');
    expect(Object.keys(done.steps)).toEqual(['mine']);
    expect(done.steps.mine?.output).toEqual({ who: 'victim' });
  });
});

describe('executions sharing an id across workspaces', () => {
  const hangSpec: PlanSpec = { steps: [{ id: 'h', tool: 'test.hang', input: {} }] };
  const hangsOf = (ws: Ws, executionId: string, event: 'started' | 'aborted') =>
    hangs.filter((h) => h.workspaceId === ws.workspaceId && h.executionId === executionId && h.event === event);

  it("cancelling the attacker's run does not abort the victim's running step with the same ids", async () => {
    // The victim's step waits behind an approval gate, so it starts after the attacker's: the
    // later registration is the one a map keyed by execution and step alone would keep.
    const victimVersion = await createPlanVersion(db.pools, victim.workspaceId, {
      steps: [
        { id: 'gate', type: 'approval' },
        { id: 'h', tool: 'test.hang', input: {}, after: ['gate'] },
      ],
    });
    const executionId = await start(victim, victimVersion);
    await waitForExecution(db.pools, victim.workspaceId, executionId, ['WAITING_APPROVAL']);

    // The attacker's execution gets the same id, paused with its step pending; resuming it
    // dispatches the step through the engine as usual.
    const attackerVersion = await createPlanVersion(db.pools, attacker.workspaceId, hangSpec);
    await db.pools.owner.query(
      `INSERT INTO executions (workspace_id, id, plan_id, plan_version_id, status, input, started_at)
       SELECT workspace_id, $2, plan_id, id, 'PAUSED', '{}', now() FROM plan_versions WHERE workspace_id = $1 AND id = $3`,
      [attacker.workspaceId, executionId, attackerVersion],
    );
    await db.pools.owner.query(
      `INSERT INTO step_runs (workspace_id, execution_id, step_id, status, fence) VALUES ($1, $2, 'h', 'PENDING', 0)`,
      [attacker.workspaceId, executionId],
    );
    expect(
      await inWs(attacker, (c) => engine.resumeExecution(c, attacker.workspaceId, executionId, admin(attacker))),
    ).toMatchObject({ ok: true });
    await eventually(async () => (hangsOf(attacker, executionId, 'started').length > 0 ? true : undefined));

    const { rows } = await db.pools.owner.query<{ id: string }>(
      'SELECT id FROM approvals WHERE workspace_id = $1 AND execution_id = $2',
      [victim.workspaceId, executionId],
    );
    const approvalId = rows[0]?.id ?? '';
    expect(
      await inWs(victim, (c) =>
        engine.decideApproval(c, victim.workspaceId, approvalId, { approve: true, actor: admin(victim) }),
      ),
    ).toMatchObject({ ok: true });
    await eventually(async () => (hangsOf(victim, executionId, 'started').length > 0 ? true : undefined));

    expect(
      await inWs(attacker, (c) => engine.cancelExecution(c, attacker.workspaceId, executionId, admin(attacker))),
    ).toEqual({ ok: true, status: 'CANCELLED' });
    await eventually(async () => (hangsOf(attacker, executionId, 'aborted').length > 0 ? true : undefined));
    // The cancel notification has been handled (it aborted the attacker's call or its heartbeat
    // did); give the victim's heartbeat a round too, then its step must still be running.
    await new Promise((r) => setTimeout(r, 1500));
    expect(hangsOf(victim, executionId, 'aborted')).toEqual([]);
    const running = await readExecution(db.pools, victim.workspaceId, executionId);
    expect(running.status).toBe('RUNNING');
    expect(running.steps.h?.status).toBe('RUNNING');

    // The victim's own cancel still reaches its step.
    expect(
      await inWs(victim, (c) => engine.cancelExecution(c, victim.workspaceId, executionId, admin(victim))),
    ).toEqual({ ok: true, status: 'CANCELLED' });
    const aborted = await eventually(async () => hangsOf(victim, executionId, 'aborted')[0]);
    expect(aborted.reason).toContain('execution cancelled');
  });
});

describe('batches of transitions', () => {
  it("never puts two workspaces' requests with the same key into one transaction", async () => {
    const rt = { pools: db.pools } as unknown as Runtime;
    const batches: Array<{ ws: unknown; items: string[] }> = [];
    const batcher = new ExecutionBatcher<string, string>(
      async (_rt, _client, _key, items, opened) => {
        batches.push({ ws: (opened[0] as { ws: unknown }).ws, items });
        return items;
      },
      () => ({ text: "SELECT current_setting('weft.workspace_id') AS ws", values: [] }),
    );
    const key = randomUUID();
    await Promise.all([
      batcher.submit(rt, victim.workspaceId, key, 'victim'),
      batcher.submit(rt, attacker.workspaceId, key, 'attacker'),
    ]);
    expect(batches).toHaveLength(2);
    expect(batches).toEqual(
      expect.arrayContaining([
        { ws: victim.workspaceId, items: ['victim'] },
        { ws: attacker.workspaceId, items: ['attacker'] },
      ]),
    );
  });
});
