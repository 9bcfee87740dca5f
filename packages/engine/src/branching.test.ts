import { randomUUID } from 'node:crypto';
import { withTenant } from '@weft/db';
import {
  createPlanVersion,
  createTestDatabase,
  createWorkspace,
  readExecution,
  startRun,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinTools } from './builtin-tools.ts';
import { createEngine, type Engine } from './engine.ts';
import { diffPlans } from './plan-diff.ts';
import { inferDependencies } from './plan-graph.ts';
import type { PlanSpec } from './types.ts';
import { validatePlanSpec } from './validate-plan.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 10 });
  engine = createEngine({ pools: db.pools, stepLeaseMs: 2000, workerConcurrency: 4, pollIntervalMs: 200 });
  await engine.startWorkers(1);
  ws = await createWorkspace(db.pools);
});

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

const run = async (spec: PlanSpec, input: unknown = {}, mode?: 'DRY_RUN') => {
  const id = await startRun(db.pools, engine, ws, spec, { input, ...(mode === undefined ? {} : { mode }) });
  await waitForExecution(db.pools, ws.workspaceId, id);
  return { id, ...(await readExecution(db.pools, ws.workspaceId, id)) };
};

const statuses = (done: Awaited<ReturnType<typeof run>>) =>
  Object.fromEntries(Object.entries(done.steps).map(([id, s]) => [id, s.status]));
const eventsOf = (done: Awaited<ReturnType<typeof run>>, type: string) =>
  done.events.filter((e) => e.type === type).map((e) => e.stepId);

/** if/else on the checked total, each branch two steps long, joined by a step with `"if": "true"`. */
const ifElse: PlanSpec = {
  steps: [
    { id: 'check', tool: 'core.echo', input: { total: '{{ input.total }}' } },
    { id: 'big', tool: 'core.echo', if: 'steps.check.output.total > 100', input: { route: 'big' } },
    { id: 'bigNote', tool: 'core.echo', input: { from: '{{ steps.big.output.route }}' } },
    { id: 'small', tool: 'core.echo', if: 'steps.check.output.total <= 100', input: { route: 'small' } },
    { id: 'smallNote', tool: 'core.echo', input: { from: '{{ steps.small.output.route }}' } },
    {
      id: 'join',
      tool: 'core.echo',
      if: 'true',
      input: { big: '{{ steps.bigNote.output }}', small: '{{ steps.smallNote.output }}' },
    },
  ],
};

describe('conditions', () => {
  it('runs one branch of an if/else, skips the other as a whole, and joins them with "if": "true"', async () => {
    const big = await run(ifElse, { total: 150 });
    expect(big.status).toBe('SUCCEEDED');
    expect(statuses(big)).toEqual({
      check: 'SUCCEEDED',
      big: 'SUCCEEDED',
      bigNote: 'SUCCEEDED',
      small: 'SKIPPED',
      smallNote: 'SKIPPED',
      join: 'SUCCEEDED',
    });
    expect(big.output).toEqual({ join: { big: { from: 'big' }, small: null } });
    expect(eventsOf(big, 'step.skipped')).toEqual(['small', 'smallNote']);
    // A skipped step never starts, whether begun by a job or by a finishing worker (run-ahead).
    expect(eventsOf(big, 'step.started')).not.toContain('small');
    expect(big.events.find((e) => e.stepId === 'smallNote' && e.type === 'step.skipped')?.data).toEqual({
      reason: 'dependency',
      dependency: 'small',
    });
    expect(big.events.map((e) => e.seq)).toEqual(big.events.map((_, i) => i + 1));

    const small = await run(ifElse, { total: 50 });
    expect(small.status).toBe('SUCCEEDED');
    expect(statuses(small)).toMatchObject({
      big: 'SKIPPED',
      bigNote: 'SKIPPED',
      small: 'SUCCEEDED',
      join: 'SUCCEEDED',
    });
    expect(small.output).toEqual({ join: { big: null, small: { from: 'small' } } });
  });

  it('decides a first step and its whole chain at the start; a skipped final step contributes null', async () => {
    const spec: PlanSpec = {
      steps: [
        { id: 'gate', tool: 'core.echo', if: 'input.go == true', input: {} },
        { id: 'next', tool: 'core.echo', input: { x: '{{ steps.gate.output }}' } },
        { id: 'last', tool: 'core.echo', after: ['next'], input: {} },
        { id: 'other', tool: 'core.echo', input: { ok: true } },
      ],
    };
    const off = await run(spec, { go: false });
    expect(off.status).toBe('SUCCEEDED');
    expect(statuses(off)).toEqual({ gate: 'SKIPPED', next: 'SKIPPED', last: 'SKIPPED', other: 'SUCCEEDED' });
    expect(off.output).toEqual({ last: null, other: { ok: true } });
    expect(eventsOf(off, 'step.started')).toEqual(['other']);

    const on = await run(spec, { go: true });
    expect(statuses(on)).toEqual({ gate: 'SUCCEEDED', next: 'SUCCEEDED', last: 'SUCCEEDED', other: 'SUCCEEDED' });
  });

  it('reads context and the status of earlier steps', async () => {
    const done = await run({
      steps: [
        { id: 'set', tool: 'core.context.set', input: { key: 'tier', value: 'gold' } },
        { id: 'gold', tool: 'core.echo', after: ['set'], if: 'context.tier == "gold"', input: {} },
        { id: 'silver', tool: 'core.echo', after: ['set'], if: 'context.tier == "silver"', input: {} },
        { id: 'wasSkipped', tool: 'core.echo', if: 'steps.silver.status == "SKIPPED"', input: {} },
      ],
    });
    expect(statuses(done)).toEqual({ set: 'SUCCEEDED', gold: 'SUCCEEDED', silver: 'SKIPPED', wasSkipped: 'SUCCEEDED' });
  });

  it('fails the run when a condition cannot be evaluated, naming the expression', async () => {
    const done = await run({
      steps: [
        { id: 'a', tool: 'core.echo', input: { n: 1 } },
        { id: 'b', tool: 'core.echo', if: 'steps.a.output.missing > 1', input: {} },
        { id: 'c', tool: 'core.echo', if: 'steps.a.output.n', input: {} },
      ],
    });
    expect(done.status).toBe('FAILED');
    expect(done.steps.b?.status).toBe('FAILED');
    expect(done.steps.b?.error).toContain('steps.a.output.missing > 1');
    expect(done.error).toContain('step "b" failed');
  });

  it('evaluates conditions the same way in a dry run (against mocks)', async () => {
    const done = await run({ ...ifElse, mocks: { check: { total: 500 } } }, { total: 1 }, 'DRY_RUN');
    expect(done.status).toBe('SUCCEEDED');
    expect(statuses(done)).toMatchObject({ big: 'SUCCEEDED', small: 'SKIPPED', smallNote: 'SKIPPED' });
  });
});

describe('fallbacks and continueOnError', () => {
  it('runs the fallback once the attempts are exhausted; its output becomes the step output', async () => {
    const done = await run(
      {
        steps: [
          {
            id: 'charge',
            tool: 'core.fail',
            input: { message: 'card declined' },
            retry: { maxAttempts: 2, delayMs: 10 },
            fallback: { tool: 'core.echo', input: { queued: true, amount: '{{ input.amount }}' } },
          },
          { id: 'receipt', tool: 'core.echo', input: { charge: '{{ steps.charge.output }}' } },
        ],
      },
      { amount: 7 },
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.charge).toMatchObject({ status: 'SUCCEEDED', attempts: 3, output: { queued: true, amount: 7 } });
    expect(done.output).toEqual({ receipt: { charge: { queued: true, amount: 7 } } });
    const types = done.events.filter((e) => e.stepId === 'charge').map((e) => e.type);
    expect(types).toEqual([
      'step.started',
      'step.retrying',
      'step.started',
      'step.falling_back',
      'step.started',
      'step.succeeded',
    ]);
    const succeeded = done.events.find((e) => e.stepId === 'charge' && e.type === 'step.succeeded');
    expect(succeeded?.data).toMatchObject({ fellBack: true, attempt: 3 });
    const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
      client.query<{ fell_back: boolean; tool: string }>(
        `SELECT r.fell_back, a.tool FROM step_runs r JOIN step_attempts a USING (workspace_id, execution_id, step_id)
          WHERE r.execution_id = $1 AND r.step_id = 'charge' ORDER BY a.attempt`,
        [done.id],
      ),
    );
    expect(rows.map((r) => r.tool.split('@')[0])).toEqual(['core.fail', 'core.fail', 'core.echo']);
    expect(rows.every((r) => r.fell_back)).toBe(true);
  });

  it('fails the step when its fallback fails too; a retry tries the step itself first again', async () => {
    const done = await run({
      steps: [
        {
          id: 'a',
          tool: 'core.fail',
          input: { message: 'first' },
          fallback: { tool: 'core.fail', input: { message: 'fallback broke too' } },
        },
      ],
    });
    expect(done.status).toBe('FAILED');
    expect(done.steps.a).toMatchObject({ status: 'FAILED', attempts: 2, error: 'fallback broke too' });

    const retried = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
      engine.retryExecution(client, ws.workspaceId, done.id, { userId: ws.userId, role: 'ADMIN' }),
    );
    expect(retried.ok).toBe(true);
    await waitForExecution(db.pools, ws.workspaceId, done.id, ['FAILED']);
    const { rows } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
      client.query<{ error: string }>(
        `SELECT error FROM step_attempts WHERE execution_id = $1 AND step_id = 'a' ORDER BY attempt`,
        [done.id],
      ),
    );
    expect(rows.map((r) => r.error)).toEqual(['first', 'fallback broke too', 'first', 'fallback broke too']);
  });

  it('goes on past a step with continueOnError: dependents read null, the run SUCCEEDS, the failure is in the events', async () => {
    const done = await run({
      steps: [
        { id: 'optional', tool: 'core.fail', input: { message: 'enrichment down' }, continueOnError: true },
        { id: 'use', tool: 'core.echo', input: { extra: '{{ steps.optional.output }}', name: 'x' } },
        { id: 'gated', tool: 'core.echo', if: 'steps.optional.status == "FAILED"', input: {} },
      ],
    });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.error).toBeNull();
    expect(done.steps.optional).toMatchObject({ status: 'FAILED', error: 'enrichment down' });
    expect(done.steps.use?.output).toEqual({ extra: null, name: 'x' });
    expect(done.steps.gated?.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ use: { extra: null, name: 'x' }, gated: {} });
    const failed = done.events.find((e) => e.type === 'step.failed');
    expect(failed).toMatchObject({ stepId: 'optional', data: { error: 'enrichment down', continueOnError: true } });
    expect(done.events.at(-1)?.type).toBe('execution.succeeded');
  });
});

describe('validation', () => {
  const tools = builtinTools;

  it('reports a bad expression at its path with BAD_CONDITION, and unknown steps it reads', () => {
    const { spec, issues } = validatePlanSpec(
      {
        steps: [
          { id: 'a', tool: 'core.echo', input: {} },
          { id: 'b', tool: 'core.echo', input: {} },
          { id: 'c', tool: 'core.echo', input: {} },
          { id: 'd', tool: 'core.echo', if: 'steps.a.output.total >', input: {} },
          { id: 'e', tool: 'core.echo', if: 'steps.ghost.output == 1', input: {} },
          { id: 'f', tool: 'core.echo', if: 'steps.f.output == 1', input: {} },
          { id: 'g', tool: 'core.echo', if: 'input.xs.all(x, input.xs.exists(y, y == x))', input: {} },
          { id: 'h', tool: 'core.echo', if: 'input.name.matches("^(a+)+$")', input: {} },
          { id: 'i', tool: 'core.echo', if: 'input.xs.exists(x, x > 2) && input.ys.all(y, y != "")', input: {} },
        ],
      },
      tools,
    );
    expect(spec).toBeNull();
    expect(issues.map((i) => `${i.code} ${i.path.join('.')}`)).toEqual([
      'BAD_CONDITION steps.3.if',
      'UNKNOWN_REFERENCE steps.4.if',
      'STEP_NOT_UPSTREAM steps.5.if',
      'BAD_CONDITION steps.6.if',
      'BAD_CONDITION steps.7.if',
    ]);
  });

  it('diffs if, fallback and continueOnError like any other step field', () => {
    const before: PlanSpec = { steps: [{ id: 'a', tool: 'core.echo', if: 'input.n > 1' }] };
    const after: PlanSpec = {
      steps: [
        { id: 'a', tool: 'core.echo', if: 'input.n > 2', continueOnError: true, fallback: { tool: 'core.echo' } },
      ],
    };
    expect(diffPlans(before, after).changedFields).toEqual({ a: ['continueOnError', 'fallback', 'if'] });
  });

  it('counts the steps an if reads as dependencies (cycles included)', () => {
    const deps = inferDependencies({
      steps: [
        { id: 'a', tool: 'core.echo' },
        { id: 'b', tool: 'core.echo', if: 'steps.a.output.x > 1 || steps["a"].status == "SKIPPED"' },
      ],
    });
    expect(deps.get('b')).toEqual(['a']);
    const { issues } = validatePlanSpec(
      {
        steps: [
          { id: 'a', tool: 'core.echo', if: 'has(steps.b.output)', input: {} },
          { id: 'b', tool: 'core.echo', input: { x: '{{ steps.a.output }}' } },
        ],
      },
      tools,
    );
    expect(issues.map((i) => i.code)).toEqual(['CYCLE']);
  });

  it('checks fallbacks like tools, and keeps fallback/continueOnError to tool steps', () => {
    const { issues } = validatePlanSpec(
      {
        steps: [
          { id: 'a', tool: 'core.echo', input: {}, fallback: { tool: 'nope.tool' } },
          { id: 'b', tool: 'core.echo', input: {}, fallback: { tool: 'core.sleep', input: { ms: 'soon' } } },
          { id: 'c', type: 'approval', fallback: { tool: 'core.echo' }, continueOnError: true },
          {
            id: 'd',
            tool: 'core.echo',
            input: {},
            fallback: { tool: 'core.echo', input: { x: '{{ steps.zz.output }}' } },
          },
          { id: 'e', tool: 'core.echo', input: {}, if: 'x'.repeat(2001) },
        ],
      },
      tools,
    );
    expect(issues.map((i) => `${i.code} ${i.path.join('.')}`)).toEqual(['SCHEMA steps.4.if']);
    const second = validatePlanSpec(
      {
        steps: [
          { id: 'a', tool: 'core.echo', input: {}, fallback: { tool: 'nope.tool' } },
          { id: 'b', tool: 'core.echo', input: {}, fallback: { tool: 'core.sleep', input: { ms: 'soon' } } },
          { id: 'c', type: 'approval', fallback: { tool: 'core.echo' }, continueOnError: true },
          {
            id: 'd',
            tool: 'core.echo',
            input: {},
            fallback: { tool: 'core.echo', input: { x: '{{ steps.zz.output }}' } },
          },
        ],
      },
      tools,
    );
    expect(second.issues.map((i) => `${i.code} ${i.path.join('.')}`)).toEqual([
      'UNKNOWN_TOOL steps.0.fallback.tool',
      'INVALID_TOOL_INPUT steps.1.fallback.input.ms',
      'NOT_A_TOOL_STEP steps.2.fallback',
      'NOT_A_TOOL_STEP steps.2.continueOnError',
      'UNKNOWN_REFERENCE steps.3.fallback.input.x',
    ]);
  });
});

describe('idempotency keys', () => {
  const startWithKey = async (planVersionId: string, key: string) =>
    withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
      engine.startExecution(client, ws.workspaceId, {
        planVersionId,
        input: {},
        actor: { userId: ws.userId, role: 'ADMIN' },
        idempotencyKey: key,
      }),
    );

  it('starts one run for concurrent starts with one key, and a new one once the key is older than 24 h', async () => {
    const versionId = await createPlanVersion(db.pools, ws.workspaceId, { steps: [{ id: 'a', tool: 'core.echo' }] });
    const key = `order-${randomUUID()}`;
    const results = await Promise.all([1, 2, 3, 4].map(() => startWithKey(versionId, key)));
    const ids = new Set(results.map((r) => r.executionId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.reused)).toHaveLength(1);
    const { rows } = await db.pools.owner.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM executions WHERE plan_version_id = $1',
      [versionId],
    );
    expect(rows[0]?.n).toBe(1);

    // Another key, or another plan, is another run.
    const other = await startWithKey(versionId, `${key}-2`);
    expect(ids.has(other.executionId)).toBe(false);
    const otherPlan = await createPlanVersion(db.pools, ws.workspaceId, { steps: [{ id: 'a', tool: 'core.echo' }] });
    expect(ids.has((await startWithKey(otherPlan, key)).executionId)).toBe(false);

    await db.pools.owner.query(
      `UPDATE execution_idempotency_keys SET claimed_at = now() - interval '25 hours' WHERE key = $1`,
      [key],
    );
    const later = await startWithKey(versionId, key);
    expect(later.reused).toBe(false);
    expect(ids.has(later.executionId)).toBe(false);
    expect((await startWithKey(versionId, key)).executionId).toBe(later.executionId);
  });
});
