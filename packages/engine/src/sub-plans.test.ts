import { randomUUID } from 'node:crypto';
import { withTenant } from '@weft/db';
import {
  createTestDatabase,
  createWorkspace,
  eventually,
  readExecution,
  type TestDatabase,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinTools } from './builtin-tools.ts';
import { hashPlan } from './canonical-json.ts';
import { createEngine, type Engine } from './engine.ts';
import type { ExecutionMode, PlanSpec } from './types.ts';
import { validatePlanSpec } from './validate-plan.ts';

let db: TestDatabase;
let engine: Engine;
let ws: { workspaceId: string; userId: string };
let realSends = 0;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 12 });
  engine = createEngine({
    pools: db.pools,
    stepLeaseMs: 2000,
    workerConcurrency: 10,
    pollIntervalMs: 100,
    maxPlanDepth: 3,
  });
  engine.registerProvider({
    name: 'test',
    async listTools() {
      return [
        {
          name: 'test.send',
          version: '1.0.0',
          description: 'a side effect: mocked in dry runs',
          inputSchema: { type: 'object' },
          outputSchema: { type: 'object', required: ['sent'], properties: { sent: { type: 'boolean' } } },
          dryRun: 'mock',
          async run() {
            realSends++;
            return { sent: true };
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

/** Saves `spec` as plan `name` (a new version when it exists); returns the version id. */
async function savePlan(name: string, spec: PlanSpec): Promise<string> {
  return withTenant(db.pools.app, { workspaceId: ws.workspaceId }, async (client) => {
    const { rows: plans } = await client.query<{ id: string; latest_version: number }>(
      `INSERT INTO plans (workspace_id, name, latest_version) VALUES ($1, $2, 1)
       ON CONFLICT (workspace_id, name) DO UPDATE SET latest_version = plans.latest_version + 1
       RETURNING id, latest_version`,
      [ws.workspaceId, name],
    );
    const plan = plans[0];
    if (plan === undefined) throw new Error('no plan');
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO plan_versions (workspace_id, plan_id, number, spec, content_hash)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [ws.workspaceId, plan.id, plan.latest_version, JSON.stringify({ ...spec, name }), hashPlan({ ...spec, name })],
    );
    return rows[0]?.id ?? '';
  });
}

async function start(versionId: string, input: unknown = {}, mode: ExecutionMode = 'LIVE'): Promise<string> {
  const { executionId } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
    engine.startExecution(client, ws.workspaceId, {
      planVersionId: versionId,
      input,
      mode,
      actor: { userId: ws.userId, role: 'ADMIN' },
    }),
  );
  return executionId;
}

async function children(executionId: string) {
  return withTenant(db.pools.app, { workspaceId: ws.workspaceId }, async (client) => {
    const { rows } = await client.query<{ id: string; status: string; mode: string; trigger: string; depth: number }>(
      'SELECT id, status, mode, trigger, depth FROM executions WHERE parent_execution_id = $1 ORDER BY parent_item NULLS FIRST, created_at, id',
      [executionId],
    );
    return rows;
  });
}

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('sub-plan steps', () => {
  it("the child's output becomes the step's output, and the parent goes on with it", async () => {
    const child = unique('child');
    await savePlan(child, { steps: [{ id: 'greet', tool: 'core.echo', input: { hello: '{{ input.who }}' } }] });
    const parent = await savePlan(unique('parent'), {
      steps: [
        { id: 'sub', type: 'plan', plan: child, input: { who: '{{ input.name }}' } },
        { id: 'after', tool: 'core.echo', input: { got: '{{ steps.sub.output.greet.hello }}' } },
      ],
    });
    const id = await start(parent, { name: 'Ada' });
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.sub?.output).toEqual({ greet: { hello: 'Ada' } });
    expect(done.output).toEqual({ after: { got: 'Ada' } });
    const kids = await children(id);
    expect(kids).toHaveLength(1);
    expect(kids[0]).toMatchObject({ status: 'SUCCEEDED', trigger: 'PARENT', depth: 1, mode: 'LIVE' });
  }, 30_000);

  it('a plan step after a tool step is opened by the finishing worker, with its input resolved', async () => {
    const child = unique('child');
    await savePlan(child, { steps: [{ id: 'inner', tool: 'core.echo', input: { v: '{{ input.v }}' } }] });
    const parent = await savePlan(unique('parent'), {
      steps: [
        { id: 'first', tool: 'core.echo', input: { v: 42 } },
        { id: 'sub', type: 'plan', plan: child, input: { v: '{{ steps.first.output.v }}' } },
        { id: 'last', tool: 'core.echo', input: { got: '{{ steps.sub.output.inner.v }}' } },
      ],
    });
    const done = await waitForExecution(db.pools, ws.workspaceId, await start(parent));
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ last: { got: 42 } });
    expect(done.events.map((e) => e.seq)).toEqual(done.events.map((_, i) => i + 1));
  }, 30_000);

  it("a failed child fails the step with the child's error; a retry starts a new child", async () => {
    const child = unique('flaky');
    await savePlan(child, { steps: [{ id: 'boom', tool: 'core.fail', input: { message: 'card declined' } }] });
    const parent = await savePlan(unique('parent'), {
      steps: [{ id: 'sub', type: 'plan', plan: child, retry: { maxAttempts: 2 } }],
    });
    const id = await start(parent);
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.sub?.status).toBe('FAILED');
    expect(done.steps.sub?.error).toContain('card declined');
    expect(done.steps.sub?.attempts).toBe(2);
    expect(done.events.filter((e) => e.type === 'step.retrying')).toHaveLength(1);
    expect((await children(id)).map((c) => c.status)).toEqual(['FAILED', 'FAILED']);
  }, 30_000);

  it("a dry run's children are dry runs", async () => {
    const child = unique('sender');
    await savePlan(child, { steps: [{ id: 'send', tool: 'test.send' }] });
    const parent = await savePlan(unique('parent'), { steps: [{ id: 'sub', type: 'plan', plan: child }] });
    const before = realSends;
    const id = await start(parent, {}, 'DRY_RUN');
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('SUCCEEDED');
    expect((await children(id))[0]?.mode).toBe('DRY_RUN');
    expect(realSends).toBe(before);
  }, 30_000);

  it('cancelling the parent cancels its children and theirs', async () => {
    const leaf = unique('leaf');
    await savePlan(leaf, { steps: [{ id: 'nap', tool: 'core.sleep', input: { ms: 60_000 } }] });
    const middle = unique('middle');
    await savePlan(middle, { steps: [{ id: 'deeper', type: 'plan', plan: leaf }] });
    const parent = await savePlan(unique('parent'), { steps: [{ id: 'sub', type: 'plan', plan: middle }] });
    const id = await start(parent);
    const grandchild = await eventually(async () => {
      const kid = (await children(id))[0];
      return kid === undefined ? undefined : (await children(kid.id))[0];
    });
    await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
      engine.cancelExecution(client, ws.workspaceId, id, { userId: ws.userId, role: 'ADMIN' }),
    );
    expect((await readExecution(db.pools, ws.workspaceId, id)).status).toBe('CANCELLED');
    const kid = (await children(id))[0];
    expect(kid?.status).toBe('CANCELLED');
    expect((await readExecution(db.pools, ws.workspaceId, grandchild.id)).status).toBe('CANCELLED');
    expect((await readExecution(db.pools, ws.workspaceId, id)).steps.sub?.status).toBe('CANCELLED');
  }, 30_000);

  it('stops recursion: a plan that calls itself through another fails at the depth limit', async () => {
    const a = unique('ping');
    const b = unique('pong');
    await savePlan(a, { steps: [{ id: 'call', type: 'plan', plan: b }] });
    const top = await savePlan(b, { steps: [{ id: 'call', type: 'plan', plan: a }] });
    const id = await start(top);
    const done = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.call?.error).toContain('at most 3 deep');
  }, 30_000);

  it('a missing plan fails the step clearly; a plan naming itself is a validation error', async () => {
    const parent = await savePlan(unique('parent'), { steps: [{ id: 'sub', type: 'plan', plan: 'no-such-plan' }] });
    const done = await waitForExecution(db.pools, ws.workspaceId, await start(parent));
    expect(done.status).toBe('FAILED');
    expect(done.steps.sub?.error).toBe('no plan "no-such-plan" in this workspace');

    const self = validatePlanSpec({ name: 'loop', steps: [{ id: 's', type: 'plan', plan: 'loop' }] }, []);
    expect(self.issues).toEqual([
      { code: 'SELF_REFERENCE', path: ['steps', '0', 'plan'], message: 'plan "loop" cannot run itself' },
    ]);
    const unknown = validatePlanSpec({ steps: [{ id: 's', type: 'plan', plan: 'ghost' }] }, [], {
      knownPlans: new Set(['real']),
    });
    expect(unknown.issues.map((i) => i.code)).toEqual(['UNKNOWN_PLAN']);
    const stray = validatePlanSpec(
      { steps: [{ id: 's', tool: 'core.echo', input: { x: '{{ item }}' } }] },
      builtinTools,
    );
    expect(stray.issues.map((i) => [i.code, i.path.join('.')])).toEqual([['BAD_REFERENCE', 'steps.0.input.x']]);
  }, 30_000);
});

describe('map steps', () => {
  it('maps a tool over 100 items in order with never more than 5 in flight', async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ n: i }));
    const plan = await savePlan(unique('map'), {
      steps: [
        {
          id: 'each',
          type: 'map',
          over: '{{ input.items }}',
          tool: 'core.echo',
          input: { n: '{{ item.n }}', at: '{{ index }}' },
          concurrency: 5,
        },
      ],
    });
    const id = await start(plan, { items });
    const done = await waitForExecution(db.pools, ws.workspaceId, id, undefined, 60_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.each?.output).toEqual(items.map((item, i) => ({ n: item.n, at: i })));
    // Item starts and ends are events appended under the run's lock: their order is the truth.
    let inFlight = 0;
    let most = 0;
    const started = new Set<number>();
    for (const e of done.events) {
      const index = (e.data as { index?: number } | null)?.index;
      if (e.type === 'map.item_started') {
        inFlight++;
        started.add(index ?? -1);
      }
      if (e.type === 'map.item_finished') inFlight--;
      most = Math.max(most, inFlight);
    }
    expect(most).toBe(5);
    expect(started.size).toBe(100);
  }, 60_000);

  it("retries a failing tool item within the step's retry policy; past it the step fails", async () => {
    const spec = (maxAttempts: number): PlanSpec => ({
      steps: [
        {
          id: 'each',
          type: 'map',
          over: '{{ input.items }}',
          tool: 'core.fail',
          input: { message: 'item {{ index }} broke', failTimes: '{{ item }}' },
          retry: { maxAttempts },
          concurrency: 1,
        },
      ],
    });
    const flaky = await savePlan(unique('map-retry'), spec(2));
    const ok = await waitForExecution(db.pools, ws.workspaceId, await start(flaky, { items: [0, 1, 0] }));
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.steps.each?.output).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    const retried = ok.events.filter((e) => e.type === 'map.item_finished' && (e.data as { ok: boolean }).ok === false);
    expect(retried.map((e) => e.data)).toEqual([{ index: 1, ok: false, error: 'item 1 broke', retrying: true }]);

    const strict = await savePlan(unique('map-strict'), spec(1));
    const failed = await waitForExecution(db.pools, ws.workspaceId, await start(strict, { items: [0, 1, 0] }));
    expect(failed.status).toBe('FAILED');
    expect(failed.steps.each?.error).toBe('item 1 failed: item 1 broke');
    // Item 2 never ran: one item in flight at a time, and the failure cancelled the rest.
    expect(
      failed.events.filter((e) => e.type === 'map.item_started').map((e) => (e.data as { index: number }).index),
    ).toEqual([0, 1]);
  }, 30_000);

  it('maps a sub-plan; a failing item fails the step and cancels the rest', async () => {
    const child = unique('per-item');
    await savePlan(child, { steps: [{ id: 'double', tool: 'core.echo', input: { v: '{{ input.v }}' } }] });
    const ok = await savePlan(unique('map-plan'), {
      steps: [{ id: 'each', type: 'map', over: '{{ input.vs }}', plan: child, input: { v: '{{ item }}' } }],
    });
    const done = await waitForExecution(db.pools, ws.workspaceId, await start(ok, { vs: [3, 1, 2] }));
    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.each?.output).toEqual([{ double: { v: 3 } }, { double: { v: 1 } }, { double: { v: 2 } }]);

    const failing = unique('fails-on-2');
    await savePlan(failing, {
      steps: [
        { id: 'wait', tool: 'core.sleep', input: { ms: '{{ input.ms }}' } },
        {
          id: 'check',
          tool: 'core.fail',
          input: { message: 'bad item', failTimes: '{{ input.fails }}' },
          after: ['wait'],
        },
      ],
    });
    const bad = await savePlan(unique('map-bad'), {
      steps: [
        {
          id: 'each',
          type: 'map',
          over: '{{ input.items }}',
          plan: failing,
          concurrency: 2,
          input: { ms: '{{ item.ms }}', fails: '{{ item.fails }}' },
        },
      ],
    });
    const id = await start(bad, {
      items: [
        { ms: 1, fails: 1 },
        { ms: 30_000, fails: 0 },
        { ms: 1, fails: 0 },
      ],
    });
    const failed = await waitForExecution(db.pools, ws.workspaceId, id);
    expect(failed.status).toBe('FAILED');
    expect(failed.steps.each?.error).toContain('item 0 failed');
    expect(failed.steps.each?.error).toContain('bad item');
    const kids = await eventually(async () => {
      const rows = await children(id);
      return rows.every((r) => r.status !== 'RUNNING') ? rows : undefined;
    });
    // Item 2 never started; item 1 (still sleeping) was cancelled.
    expect(kids.map((k) => k.status)).toEqual(['FAILED', 'CANCELLED']);
  }, 30_000);

  it('an empty array maps to an empty output; a non-array fails the step', async () => {
    const plan = await savePlan(unique('map-edge'), {
      steps: [
        { id: 'each', type: 'map', over: '{{ input.items }}', tool: 'core.echo' },
        { id: 'next', tool: 'core.echo', input: { n: '{{ steps.each.output }}' } },
      ],
    });
    const empty = await waitForExecution(db.pools, ws.workspaceId, await start(plan, { items: [] }));
    expect(empty.status).toBe('SUCCEEDED');
    expect(empty.output).toEqual({ next: { n: [] } });
    const wrong = await waitForExecution(db.pools, ws.workspaceId, await start(plan, { items: 'nope' }));
    expect(wrong.status).toBe('FAILED');
    expect(wrong.steps.each?.error).toContain('not an array');
  }, 30_000);
});
