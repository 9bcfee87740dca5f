// A plugin writes the run's shared context (`ctx.context.set`) without any grant, so it must be
// bounded like kv: otherwise one call could grow an execution row by whatever fits in its heap.
import { eventually, startTestApi, type TestApi, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInlinePlugin } from '../graphql/inline-plugin.ts';
import { EXECUTION } from '../graphql/marketplace-operations.ts';
import { CREATE_PLAN, START_EXECUTION } from '../graphql/operations.ts';

const FILLER = `
import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';
export default definePlugin({
  name: 'filler',
  version: '1.0.0',
  description: 'Writes the shared context',
  capabilities: [],
  tools: [
    defineTool({
      name: 'fill',
      description: 'sets context key "k" to a string of the given length',
      input: Type.Object({ chars: Type.Number(), key: Type.Optional(Type.String()) }),
      run: async ({ chars, key }, ctx) => {
        await ctx.context.set(key ?? 'k', 'x'.repeat(chars));
        return { set: chars };
      },
    }),
  ],
});
`;

let api: TestApi;
let user: TestUser;
let workspaceId: string;

async function run(input: Record<string, unknown>) {
  const created = await user.client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(
    CREATE_PLAN,
    {
      input: {
        workspaceId,
        name: `fill ${JSON.stringify(input).length} ${Math.random()}`,
        spec: { name: 'fill', steps: [{ id: 'fill', tool: 'filler.fill', input, retry: { maxAttempts: 1 } }] },
      },
    },
  );
  expect(created.data?.createPlan.userErrors).toEqual([]);
  const started = await user.client.mutate<{ startExecution: { execution: { id: string } | null } }>(START_EXECUTION, {
    input: { planId: created.data?.createPlan.plan?.id },
  });
  const id = started.data?.startExecution.execution?.id ?? '';
  const done = await eventually(
    async () => {
      const r = await user.client.query<{ node: { status: string; steps: { error: string | null }[] } }>(EXECUTION, {
        id,
      });
      const node = r.data?.node;
      return node !== undefined && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(node.status) ? node : undefined;
    },
    30_000,
    'filler.fill to finish',
  );
  return { status: done.status, error: done.steps[0]?.error ?? null };
}

/** The largest context value any execution holds, in characters of JSON. */
async function largestContext(): Promise<number> {
  const { rows } = await api.db.pools.owner.query<{ n: number | null }>(
    'SELECT max(length(context::text))::int AS n FROM executions',
  );
  return rows[0]?.n ?? 0;
}

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  ({ user, workspaceId } = await installInlinePlugin(api, FILLER, 'context-filler'));
}, 120_000);
afterAll(() => api?.close());

describe("a plugin writing the run's shared context", () => {
  it('may write a value within the kv limit', async () => {
    expect(await run({ chars: 1000 })).toEqual({ status: 'SUCCEEDED', error: null });
  });

  it('is refused a value over the kv limit, and nothing of it is written', async () => {
    const refused = await run({ chars: 2_000_000 });
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toMatch(/context values are at most 256000 characters of JSON/);
    expect(await largestContext()).toBeLessThan(10_000);
  });

  it('is refused an over-long key', async () => {
    const refused = await run({ chars: 1, key: 'k'.repeat(10_000) });
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toMatch(/context keys are 1–256 characters/);
  });
});
