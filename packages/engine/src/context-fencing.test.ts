import { withTenant } from '@weft/db';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import { StaleAttemptError } from './errors.ts';
import type { Actor, ExecutionStatus, PlanSpec, TenantClient, ToolContext, ToolDefinition } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const admin = (): Actor => ({ userId: ws.userId, role: 'ADMIN' });

/** Contexts handed to tools, by execution id: the test writes through them as the attempt would. */
const contexts = new Map<string, ToolContext>();
const releases = new Map<string, () => void>();

const tool = (def: Pick<ToolDefinition, 'name' | 'run'>): ToolDefinition => ({
  version: '1.0.0',
  description: def.name,
  inputSchema: { type: 'object' },
  ...def,
});

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 8 });
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 4, pollIntervalMs: 200 });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        tool({
          name: 'test.hold',
          run(_input, ctx) {
            contexts.set(ctx.executionId, ctx);
            return new Promise((resolve, reject) => {
              releases.set(ctx.executionId, () => resolve({}));
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
            });
          },
        }),
        tool({
          name: 'test.leak',
          async run(_input, ctx) {
            contexts.set(ctx.executionId, ctx);
            return {};
          },
        }),
        tool({
          name: 'test.undo',
          async run(_input, ctx) {
            await ctx.context.set('undone', true);
            await ctx.messages.post('undo', { step: ctx.stepId });
            return {};
          },
        }),
      ];
    },
  });
  await engine.startWorkers(1);
  ws = await createWorkspace(db.pools);
});

afterAll(async () => {
  for (const release of releases.values()) release();
  await engine?.stop();
  await db?.drop();
});

function tx<T>(work: (client: TenantClient) => Promise<T>): Promise<T> {
  return withTenant(db.pools.app, { workspaceId: ws.workspaceId }, work);
}

const start = (spec: PlanSpec) => startRun(db.pools, engine, ws, spec);

const contextOf = (executionId: string) => eventually(async () => contexts.get(executionId));

async function written(executionId: string): Promise<{ context: unknown; messages: unknown[] }> {
  return tx(async (c) => {
    const { rows } = await c.query<{ context: unknown }>('SELECT context FROM executions WHERE id = $1', [executionId]);
    const messages = await c.query<{ body: unknown }>(
      'SELECT body FROM step_messages WHERE execution_id = $1 ORDER BY id',
      [executionId],
    );
    return { context: rows[0]?.context, messages: messages.rows.map((r) => r.body) };
  });
}

async function expectRefused(ctx: ToolContext): Promise<void> {
  const stale = /no longer owns step "hold"|no longer owns step "leaky"/;
  await expect(ctx.context.set('late', 'value')).rejects.toBeInstanceOf(StaleAttemptError);
  await expect(ctx.context.set('late', 'value')).rejects.toThrow(stale);
  await expect(ctx.messages.post('news', { late: true })).rejects.toBeInstanceOf(StaleAttemptError);
}

async function cancelRun(executionId: string): Promise<ExecutionStatus | undefined> {
  const result = await tx((c) => engine.cancelExecution(c, ws.workspaceId, executionId, admin()));
  return result.ok ? result.status : undefined;
}

describe('context and message writes are fenced to the attempt owning the step', () => {
  it('refuses both writes from an attempt whose step was dispatched again with a new fence', async () => {
    const id = await start({ steps: [{ id: 'hold', tool: 'test.hold' }] });
    const stale = await contextOf(id);
    await stale.context.set('before', 1);
    // What the lease sweeper does to a step whose worker stopped heartbeating: same status, new fence.
    const { rowCount } = await db.pools.owner.query(
      `UPDATE step_runs SET fence = fence + 1 WHERE execution_id = $1 AND step_id = 'hold' AND status = 'RUNNING'`,
      [id],
    );
    expect(rowCount).toBe(1);

    await expectRefused(stale);
    expect(await written(id)).toEqual({ context: { before: 1 }, messages: [] });
    expect(await stale.messages.read('news')).toEqual([]);
    expect(await cancelRun(id)).toBe('CANCELLED');
  });

  it('lets the live attempt write, then refuses it once the run is cancelled', async () => {
    const id = await start({ steps: [{ id: 'hold', tool: 'test.hold' }] });
    const ctx = await contextOf(id);
    await ctx.context.set('customer', { name: 'Ada' });
    await ctx.messages.post('news', { n: 1 });
    expect(await written(id)).toEqual({ context: { customer: { name: 'Ada' } }, messages: [{ n: 1 }] });

    expect(await cancelRun(id)).toBe('CANCELLED');
    await expectRefused(ctx);
    expect(await written(id)).toEqual({ context: { customer: { name: 'Ada' } }, messages: [{ n: 1 }] });
  });

  it('refuses writes through the context of an attempt whose step has finished', async () => {
    const id = await start({ steps: [{ id: 'leaky', tool: 'test.leak' }] });
    expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
    await expectRefused(await contextOf(id));
    expect(await written(id)).toEqual({ context: {}, messages: [] });
  });

  it('lets a compensation write while it rolls its step back', async () => {
    const id = await start({ steps: [{ id: 'a', tool: 'core.echo', compensate: { tool: 'test.undo' } }] });
    expect((await waitForExecution(db.pools, ws.workspaceId, id)).status).toBe('SUCCEEDED');
    const rolled = await tx((c) => engine.rollbackExecution(c, ws.workspaceId, id, admin()));
    expect(rolled).toMatchObject({ ok: true });
    const done = await waitForExecution(db.pools, ws.workspaceId, id, ['ROLLED_BACK', 'FAILED']);
    expect(done.status).toBe('ROLLED_BACK');
    expect(await written(id)).toEqual({ context: { undone: true }, messages: [{ step: 'a' }] });
  });
});
