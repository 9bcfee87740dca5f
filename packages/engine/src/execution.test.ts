import { withTenant } from '@weft/db';
import {
  createPlanVersion,
  createTestDatabase,
  createWorkspace,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './engine.ts';
import type { PlanSpec } from './types.ts';
import { NonRetriableToolError, RetryAfterToolError } from './types.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
const calls: Record<string, number> = {};

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 8, pollIntervalMs: 200 });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        {
          name: 'test.fatal',
          version: '1.0.0',
          description: 'always fails, not retriable',
          inputSchema: { type: 'object' },
          async run() {
            calls.fatal = (calls.fatal ?? 0) + 1;
            throw new NonRetriableToolError('bad credentials');
          },
        },
        {
          name: 'test.busy',
          version: '1.0.0',
          description: 'asks to come back later once',
          inputSchema: { type: 'object' },
          async run(_input, ctx) {
            if (ctx.attempt === 1) throw new RetryAfterToolError('busy', 300);
            return { attempt: ctx.attempt };
          },
        },
      ];
    },
  });
  await engine.startWorkers(1);
  ws = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

const start = (spec: PlanSpec, input: unknown = {}) => startRun(db.pools, engine, ws, spec, { input });

describe('durable execution', () => {
  it('runs steps in dependency order, passing outputs through references', async () => {
    const id = await start(
      {
        steps: [
          { id: 'a', tool: 'core.echo', input: { n: '{{ input.n }}', greeting: 'hi {{ input.name }}' } },
          { id: 'b', tool: 'core.echo', input: { fromA: '{{ steps.a.output.n }}', text: 'n={{ steps.a.output.n }}' } },
        ],
      },
      { n: 42, name: 'Ada' },
    );
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.a?.output).toEqual({ n: 42, greeting: 'hi Ada' });
    expect(done.steps.b?.output).toEqual({ fromA: 42, text: 'n=42' });
    expect(done.output).toEqual({ b: { fromA: 42, text: 'n=42' } });
    expect(done.events.map((e) => e.seq)).toEqual(done.events.map((_, i) => i + 1));
    expect(done.events.map((e) => `${e.type}${e.stepId === null ? '' : `:${e.stepId}`}`)).toEqual([
      'execution.started',
      'step.started:a',
      'step.succeeded:a',
      'step.started:b',
      'step.succeeded:b',
      'execution.succeeded',
    ]);
  });

  it('retries a failing step with backoff until it succeeds', async () => {
    const id = await start({
      steps: [
        {
          id: 'flaky',
          tool: 'core.fail',
          input: { message: 'boom', failTimes: 2 },
          retry: { maxAttempts: 3, backoff: 'exponential', delayMs: 20 },
        },
      ],
    });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.flaky?.attempts).toBe(3);
    expect(done.events.filter((e) => e.type === 'step.retrying')).toHaveLength(2);
  });

  it('fails the execution when attempts run out, with the step error', async () => {
    const id = await start({
      steps: [
        { id: 'bad', tool: 'core.fail', input: { message: 'nope' }, retry: { maxAttempts: 2, delayMs: 10 } },
        { id: 'after', tool: 'core.echo', after: ['bad'] },
      ],
    });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.error).toContain('nope');
    expect(done.steps.bad).toMatchObject({ status: 'FAILED', attempts: 2, error: 'nope' });
    expect(done.steps.after?.status).toBe('PENDING');
    expect(done.events.filter((e) => e.type.startsWith('execution.') && e.type !== 'execution.started')).toEqual([
      expect.objectContaining({ type: 'execution.failed' }),
    ]);
  });

  it('does not retry a NonRetriableToolError', async () => {
    const before = calls.fatal ?? 0;
    const id = await start({ steps: [{ id: 'x', tool: 'test.fatal', retry: { maxAttempts: 5, delayMs: 10 } }] });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.x?.attempts).toBe(1);
    expect((calls.fatal ?? 0) - before).toBe(1);
  });

  it('waits as long as a RetryAfterToolError asks', async () => {
    const id = await start({ steps: [{ id: 'x', tool: 'test.busy@^1', retry: { maxAttempts: 2, delayMs: 0 } }] });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.x?.output).toEqual({ attempt: 2 });
    expect(done.events.find((e) => e.type === 'step.retrying')?.data).toMatchObject({ delayMs: 300 });
  });

  it('fails a step that runs past timeoutMs, aborting the tool', async () => {
    const started = Date.now();
    const id = await start({ steps: [{ id: 'slow', tool: 'core.sleep', input: { ms: 10_000 }, timeoutMs: 150 }] });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.slow?.error).toMatch(/timed out after 150 ms/);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('refuses to start a version that no longer validates, with a typed error and nothing written', async () => {
    const versionId = await createPlanVersion(db.pools, ws.workspaceId, {
      steps: [{ id: 'x', tool: 'gone.tool' }],
    });
    const attempt = withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
      engine.startExecution(client, ws.workspaceId, {
        planVersionId: versionId,
        actor: { userId: ws.userId, role: 'ADMIN' },
      }),
    );
    await expect(attempt).rejects.toMatchObject({ name: 'EngineError', code: 'INVALID_PLAN' });
    const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (c) =>
      c.query('SELECT 1 FROM executions WHERE plan_version_id = $1', [versionId]),
    );
    expect(rows).toEqual([]);
  });
});
