import { randomBytes } from 'node:crypto';
import { gql } from '@apollo/client';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL_EXECUTION, CREATE_PLAN, CREATE_WORKSPACE, START_EXECUTION } from './operations.ts';

// Sub-plan and map steps through GraphQL on a real API with one in-process worker.

interface Run {
  id: string;
  status: string;
  mode: string;
  output: unknown;
  steps: { stepId: string; status: string; error: string | null; output: unknown }[];
  parent: { id: string } | null;
  children: { id: string; status: string; mode: string; parent: { id: string } | null }[];
}

const RUN = gql`
  query Run($id: ID!) {
    node(id: $id) {
      id
      ... on Execution {
        status mode output
        steps { stepId status error output }
        parent { id }
        children { id status mode parent { id } }
      }
    }
  }
`;

let api: TestApi;
let admin: TestUser;
let outsider: TestUser;
let workspaceId: string;

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  const anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'admin');
  outsider = await signUpUser(anonymous, 'outsider');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: `sub-${randomBytes(3).toString('hex')}`, name: 'Sub-plans' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
}, 60_000);

afterAll(async () => {
  await api?.close();
});

async function createPlan(name: string, spec: unknown) {
  const result = await admin.client.mutate<{
    createPlan: { plan: { id: string } | null; userErrors: { code: string; field: string[]; message: string }[] };
  }>(CREATE_PLAN, { input: { workspaceId, name, spec } });
  return result.data?.createPlan ?? { plan: null, userErrors: [] };
}

async function start(planId: string, input: unknown, mode = 'LIVE'): Promise<string> {
  const result = await admin.client.mutate<{ startExecution: { execution: { id: string } | null } }>(START_EXECUTION, {
    input: { planId, input, mode },
  });
  const id = result.data?.startExecution.execution?.id;
  if (id === undefined) throw new Error(`not started: ${JSON.stringify(result)}`);
  return id;
}

async function read(id: string, as: TestUser = admin): Promise<Run | null> {
  const result = await as.client.query<{ node: Run | null }>(RUN, { id });
  return result.data?.node ?? null;
}

async function until(id: string, done: (run: Run) => boolean): Promise<Run> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = await read(id);
    if (run !== null && done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} stuck: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finished = (run: Run) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status);

describe('sub-plans and map over GraphQL', () => {
  it('a map over a sub-plan: output in item order, children linked both ways, dry run all the way down', async () => {
    const child = await createPlan('quote', {
      steps: [{ id: 'price', tool: 'core.echo', input: { sku: '{{ input.sku }}', qty: '{{ input.qty }}' } }],
    });
    expect(child.userErrors).toEqual([]);
    const parent = await createPlan('quote-all', {
      steps: [
        {
          id: 'each',
          type: 'map',
          over: '{{ input.lines }}',
          plan: 'quote',
          concurrency: 2,
          input: { sku: '{{ item.sku }}', qty: '{{ index }}' },
        },
        { id: 'summary', type: 'plan', plan: 'quote', input: { sku: 'total', qty: '{{ steps.each.output }}' } },
      ],
    });
    expect(parent.userErrors).toEqual([]);
    const lines = [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }];
    const id = await start(parent.plan?.id ?? '', { lines });
    const run = await until(id, finished);
    expect(run.status).toBe('SUCCEEDED');
    const quotes = lines.map((l, i) => ({ price: { sku: l.sku, qty: i } }));
    expect(run.steps.find((s) => s.stepId === 'each')?.output).toEqual(quotes);
    expect(run.output).toEqual({ summary: { price: { sku: 'total', qty: quotes } } });
    expect(run.children).toHaveLength(4);
    expect(run.children.every((c) => c.parent?.id === id && c.status === 'SUCCEEDED')).toBe(true);

    const dry = await until(await start(parent.plan?.id ?? '', { lines }, 'DRY_RUN'), finished);
    expect(dry.children.map((c) => c.mode)).toEqual(['DRY_RUN', 'DRY_RUN', 'DRY_RUN', 'DRY_RUN']);
    // Another workspace sees neither the run nor, through it, its children.
    expect(await read(id, outsider)).toBeNull();
    expect(await read(run.children[0]?.id ?? '', outsider)).toBeNull();
  }, 60_000);

  it("a failed child fails the step with the child's error", async () => {
    await createPlan('charge', { steps: [{ id: 'card', tool: 'core.fail', input: { message: 'card declined' } }] });
    const parent = await createPlan('checkout', { steps: [{ id: 'pay', type: 'plan', plan: 'charge' }] });
    const run = await until(await start(parent.plan?.id ?? '', {}), finished);
    expect(run.status).toBe('FAILED');
    expect(run.steps[0]?.error).toBe('sub-plan "charge" failed: step "card" failed: card declined');
    expect(run.children.map((c) => c.status)).toEqual(['FAILED']);
  }, 30_000);

  it('cancelling the parent cancels the running child; the step shows WAITING while it runs', async () => {
    await createPlan('slow', { steps: [{ id: 'nap', tool: 'core.sleep', input: { ms: 60_000 } }] });
    const parent = await createPlan('wrapper', { steps: [{ id: 'sub', type: 'plan', plan: 'slow' }] });
    const id = await start(parent.plan?.id ?? '', {});
    const waiting = await until(id, (r) => r.children.length === 1 && r.steps[0]?.status === 'WAITING');
    expect(waiting.status).toBe('RUNNING');
    const cancelled = await admin.client.mutate<{ cancelExecution: { userErrors: unknown[] } }>(CANCEL_EXECUTION, {
      input: { id },
    });
    expect(cancelled.data?.cancelExecution.userErrors).toEqual([]);
    const run = await read(id);
    expect(run?.status).toBe('CANCELLED');
    expect(run?.children.map((c) => c.status)).toEqual(['CANCELLED']);
  }, 30_000);

  it('loads parents and children of a page of runs with a fixed number of database round trips', async () => {
    const PAGE = gql`query Page($slug: String!) { workspace(slug: $slug) { executions(first: 100) { edges { node {
      id parent { id } children { id status } } } } } }`;
    const slug = await admin.client.query<{ node: { slug: string } }>(
      gql`query($id: ID!) { node(id: $id) { ... on Workspace { slug } } }`,
      { id: workspaceId },
    );
    const page = async () => {
      let count = 0;
      const pool = api.running.pools.app;
      const onAcquire = () => count++;
      pool.on('acquire', onAcquire);
      try {
        const result = await admin.client.query<{ workspace: { executions: { edges: unknown[] } } }>(PAGE, {
          slug: slug.data?.node.slug,
        });
        expect(result.errors).toEqual([]);
        return { count, runs: result.data?.workspace.executions.edges.length ?? 0 };
      } finally {
        pool.off('acquire', onAcquire);
      }
    };
    const before = await page();
    const parent = await createPlan('fan', {
      steps: [{ id: 'each', type: 'map', over: '{{ input.xs }}', plan: 'quote', input: { sku: '{{ item }}' } }],
    });
    for (let i = 0; i < 3; i++) await until(await start(parent.plan?.id ?? '', { xs: ['a', 'b'] }), finished);
    const after = await page();
    expect(after.runs).toBe(before.runs + 9);
    expect(after.count).toBe(before.count);
  }, 30_000);

  it('createPlan refuses unknown sub-plans and a plan naming itself', async () => {
    const unknown = await createPlan('calls-ghost', { steps: [{ id: 's', type: 'plan', plan: 'ghost' }] });
    expect(unknown.userErrors.map((e) => [e.code, e.field.join('.')])).toEqual([['UNKNOWN_PLAN', 'spec.steps.0.plan']]);
    const self = await createPlan('ouroboros', { steps: [{ id: 's', type: 'plan', plan: 'ouroboros' }] });
    expect(self.userErrors.map((e) => e.code)).toEqual(['SELF_REFERENCE']);
    const stray = await createPlan('stray-item', {
      steps: [{ id: 's', tool: 'core.echo', input: { x: '{{ item.sku }}' } }],
    });
    expect(stray.userErrors.map((e) => e.code)).toEqual(['BAD_REFERENCE']);
  }, 30_000);
});
