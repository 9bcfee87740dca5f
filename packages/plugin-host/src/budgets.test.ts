/**
 * Per-workspace plugin budgets in the plugin host: over its CPU budget, a workspace's tool calls
 * fail with a delayed-retriable error naming the budget, and other workspaces are unaffected.
 */
import { RetryAfterToolError } from '@weft/engine';
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPluginHost, type PluginHost } from './plugin-host.ts';
import { buildInline, createWorkspace, publishAndInstall, toolContext, toolNamed } from './test-support.ts';

const BURNER = `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: 'burner', version: '1.0.0', description: 'spins the CPU',
  tools: [defineTool({ name: 'burn', description: 'spin', input: Type.Object({ ms: Type.Number() }),
    run: ({ ms }) => { const end = Date.now() + ms; while (Date.now() < end) {} return 'burnt'; } })],
});
`;

let db: TestDatabase;
let host: PluginHost;
let greedy: string;
let neighbour: string;

beforeAll(async () => {
  db = await createTestDatabase();
  greedy = await createWorkspace(db.pools, 'budget-greedy');
  neighbour = await createWorkspace(db.pools, 'budget-neighbour');
  await publishAndInstall(db.pools, await buildInline(BURNER), [
    { workspaceId: greedy, grants: [] },
    { workspaceId: neighbour, grants: [] },
  ]);
  host = createPluginHost({
    pools: db.pools,
    secretKey: 'k'.repeat(40),
    processes: 1,
    cpuBudget: { cpuMs: 300, windowMs: 600_000 },
  });
  await host.start();
});

afterAll(async () => {
  await host?.stop();
  await db?.drop();
});

async function burn(workspaceId: string, ms: number): Promise<unknown> {
  const tool = toolNamed(await host.listTools(workspaceId), 'burner.burn');
  return tool.run({ ms }, toolContext(workspaceId, 'burn'));
}

it('fails a workspace over its CPU budget with a retry-after error, and serves the others', async () => {
  const error = await burn(greedy, 5_000).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RetryAfterToolError);
  expect(error).toMatchObject({
    code: 'SANDBOX_WORKSPACE_CPU_BUDGET',
    message: expect.stringMatching(/^burner\.burn: the workspace used up its plugins' CPU time budget; it renews in/),
  });
  expect((error as RetryAfterToolError).retryAfterMs).toBeGreaterThan(500_000);
  await expect(burn(greedy, 1)).rejects.toMatchObject({ code: 'SANDBOX_WORKSPACE_CPU_BUDGET' });
  await expect(burn(neighbour, 50)).resolves.toBe('burnt');
});
