// The plugin sandbox against a hostile plugin author, through the running API: a plugin published
// through the marketplace and installed in three workspaces tries to keep running after its calls,
// to burn the shared plugin host's CPU, and to carry module state between workspaces. Each attack
// fails clearly for its own workspace only, writes nothing, and the server keeps answering.
import { join } from 'node:path';
import { type BuiltPlugin, buildPlugin, publishPlugin } from '@weft/plugin-sdk/build';
import {
  eventually,
  REPO_ROOT,
  signUpUser,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXECUTION, INSTALL_PLUGIN } from '../graphql/marketplace-operations.ts';
import { CREATE_PLAN, CREATE_WORKSPACE, START_EXECUTION } from '../graphql/operations.ts';

/** Plugin CPU time one workspace may use per window in this test's API (the window outlasts the test). */
const CPU_BUDGET_MS = 1_500;

const PROBE = `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
let remembered = null;
let ticks = 0;
const spin = (ms) => { const end = Date.now() + ms; while (Date.now() < end) {} };
const none = Type.Object({});
export default definePlugin({
  name: 'probe',
  version: '1.0.0',
  description: 'Keeps module state, leaves timers behind and burns CPU',
  capabilities: ['kv'],
  tools: [
    defineTool({ name: 'echo', description: 'answers', input: none, run: () => ({ ok: true }) }),
    defineTool({
      name: 'remember',
      description: 'returns the value remembered before and keeps this one',
      input: Type.Object({ value: Type.String() }),
      run: ({ value }) => { const before = remembered; remembered = value; return { before }; },
    }),
    defineTool({
      name: 'linger',
      description: 'returns at once, leaving a busy interval that writes kv',
      input: none,
      run: (_input, ctx) => {
        setInterval(() => {
          ticks++;
          spin(50);
          ctx.kv.set('afterReturn', ticks).catch(() => {});
        }, 1);
        return { ticks };
      },
    }),
    defineTool({ name: 'ticks', description: 'interval ticks seen', input: none, run: () => ({ ticks }) }),
    defineTool({
      name: 'burn',
      description: 'spins the CPU',
      input: Type.Object({ ms: Type.Number() }),
      run: ({ ms }) => { spin(ms); return 'burnt'; },
    }),
  ],
});
`;

interface Tenant {
  user: TestUser;
  workspaceId: string;
  plans: Map<string, string>;
}

let api: TestApi;
let probe: BuiltPlugin;
const tenants: Record<'a' | 'b' | 'greedy', Tenant> = {} as Record<'a' | 'b' | 'greedy', Tenant>;

async function tenant(label: string, versionId: () => string): Promise<Tenant> {
  const user = await signUpUser(new TestClient(api.url), label);
  const ws = await user.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: `sandbox-${label}`, name: label },
  });
  const workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  const installed = await user.client.mutate<{ installPlugin: { userErrors: unknown[] } }>(INSTALL_PLUGIN, {
    input: { workspaceId, pluginVersionId: versionId(), grantedCapabilities: ['kv'] },
  });
  expect(installed.data?.installPlugin.userErrors).toEqual([]);
  return { user, workspaceId, plans: new Map() };
}

/** Runs one step of the probe plugin through the API (a plan per tool and input) and waits for it. */
async function runTool(who: Tenant, tool: string, input: Record<string, unknown> = {}) {
  const name = `${tool}-${JSON.stringify(input)}`;
  let planId = who.plans.get(name);
  if (planId === undefined) {
    const created = await who.user.client.mutate<{
      createPlan: { plan: { id: string } | null; userErrors: unknown[] };
    }>(CREATE_PLAN, {
      input: {
        workspaceId: who.workspaceId,
        name: `${tool} ${who.plans.size}`,
        spec: { name: tool, steps: [{ id: 'probe', tool: `probe.${tool}`, input }] },
      },
    });
    expect(created.data?.createPlan.userErrors).toEqual([]);
    planId = created.data?.createPlan.plan?.id ?? '';
    who.plans.set(name, planId);
  }
  const started = await who.user.client.mutate<{
    startExecution: { execution: { id: string } | null; userErrors: unknown[] };
  }>(START_EXECUTION, { input: { planId } });
  expect(started.data?.startExecution.userErrors).toEqual([]);
  const id = started.data?.startExecution.execution?.id ?? '';
  const done = await eventually(
    async () => {
      const r = await who.user.client.query<{
        node: { status: string; steps: { status: string; output: unknown; error: string | null }[] };
      }>(EXECUTION, { id });
      const node = r.data?.node;
      return node !== undefined && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(node.status) ? node : undefined;
    },
    30_000,
    `probe.${tool} to finish`,
  );
  const step = done.steps[0];
  return { status: done.status, output: step?.output, error: step?.error ?? null };
}

/** How long /healthz takes to answer 200, in ms. */
async function healthz(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${api.url}/healthz`);
  expect(res.status).toBe(200);
  return performance.now() - started;
}

/** Audit rows other than the runs the test started itself. */
async function auditRows(): Promise<number> {
  const { rows } = await api.db.pools.owner.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_log WHERE action NOT IN ('execution.start', 'plan.create')",
  );
  return rows[0]?.n ?? 0;
}

beforeAll(async () => {
  api = await startTestApi({
    env: {
      WORKERS: '1',
      RATE_LIMIT_PER_MINUTE: '100000',
      PLUGIN_WORKSPACE_CPU_MS: String(CPU_BUDGET_MS),
      PLUGIN_WORKSPACE_CPU_WINDOW_MS: '3600000',
    },
  });
  probe = await buildPlugin(join(REPO_ROOT, 'test'), { source: PROBE, write: false });
  const author = await signUpUser(new TestClient(api.url), 'probe-author');
  const published = await publishPlugin(probe, { apiUrl: api.url, token: author.token });
  expect(published.userErrors).toEqual([]);
  const versionId = published.pluginVersion?.id ?? '';
  tenants.a = await tenant('a', () => versionId);
  tenants.b = await tenant('b', () => versionId);
  tenants.greedy = await tenant('greedy', () => versionId);
}, 120_000);
afterAll(() => api?.close());

describe('the plugin sandbox against a hostile plugin', () => {
  it('shares no module state between workspaces running the same plugin version', async () => {
    expect((await runTool(tenants.a, 'remember', { value: 'a-private' })).output).toEqual({ before: null });
    // The same workspace does reuse its isolate: the state is there for its own next call.
    expect((await runTool(tenants.a, 'remember', { value: 'a-again' })).output).toEqual({ before: 'a-private' });
    expect((await runTool(tenants.b, 'remember', { value: 'b' })).output).toEqual({ before: null });
  });

  it('runs no interval after the call returned: nothing ticks, nothing is written, the host stays responsive', async () => {
    const audits = await auditRows();
    const left = await runTool(tenants.a, 'linger');
    expect(left).toMatchObject({ status: 'SUCCEEDED', output: { ticks: 0 } });
    // Meanwhile the server and another workspace's plugin calls are served promptly.
    expect(await healthz()).toBeLessThan(1_000);
    expect(await runTool(tenants.b, 'echo')).toMatchObject({ status: 'SUCCEEDED', output: { ok: true } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await healthz()).toBeLessThan(1_000);
    expect(await runTool(tenants.a, 'ticks')).toMatchObject({ status: 'SUCCEEDED', output: { ticks: 0 } });
    const kv = await api.db.pools.owner.query("SELECT 1 FROM plugin_kv WHERE key = 'afterReturn'");
    expect(kv.rowCount).toBe(0);
    expect(await auditRows()).toBe(audits);
  });

  it('stops a workspace at its CPU budget with a clear error, while other workspaces are still served', async () => {
    const audits = await auditRows();
    const burning = runTool(tenants.greedy, 'burn', { ms: 10_000 });
    expect(await healthz()).toBeLessThan(1_000);
    const burnt = await burning;
    expect(burnt.status).toBe('FAILED');
    expect(burnt.error).toMatch(/probe\.burn: the workspace used up its plugins' CPU time budget; it renews in \d+ s/);
    // Over budget, even a cheap call of that workspace is refused, with the same message.
    const refused = await runTool(tenants.greedy, 'echo');
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toMatch(/probe\.echo: the workspace used up its plugins' CPU time budget/);
    expect(await runTool(tenants.b, 'echo')).toMatchObject({ status: 'SUCCEEDED', output: { ok: true } });
    expect(await runTool(tenants.a, 'burn', { ms: 50 })).toMatchObject({ status: 'SUCCEEDED', output: 'burnt' });
    expect(await healthz()).toBeLessThan(1_000);
    expect(await auditRows()).toBe(audits);
  });
});
