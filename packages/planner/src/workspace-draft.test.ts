import { join } from 'node:path';
import { withTenant } from '@weft/db';
import { type ToolDefinition, validatePlanSpec } from '@weft/engine';
import {
  chatCompletion,
  createTestDatabase,
  REPO_ROOT,
  seedExecution,
  seedPlan,
  startFakeOpenAI,
  type TestDatabase,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvalFixtures } from './eval/evaluate.ts';
import { plannerUsageTotals } from './usage-store.ts';
import { draftPlanForWorkspace, type PlannerEngine } from './workspace-draft.ts';

const W = '00000000-0000-4000-8000-0000000000e5';
let db: TestDatabase;
let engine: PlannerEngine;

// http.request failed 6 of its 10 calls in this workspace.
beforeAll(async () => {
  const { tools } = await loadEvalFixtures(join(REPO_ROOT, 'test/fixtures/planner'));
  const definitions: ToolDefinition[] = tools.map((t) => ({
    ...t,
    version: '1.0.0',
    run: async (input: unknown) => input,
  }));
  engine = {
    listTools: async () => definitions,
    validatePlan: async (_workspaceId, spec) => validatePlanSpec(spec, definitions),
  };
  db = await createTestDatabase();
  await db.pools.owner.query(`INSERT INTO workspaces (id, slug, name) VALUES ($1, 'drafts', 'Drafts')`, [W]);
  await withTenant(db.pools.app, { workspaceId: W }, async (client) => {
    const plan = await seedPlan(client, W, 'poller');
    for (let i = 0; i < 10; i++) {
      await seedExecution(
        client,
        W,
        { planId: plan.planId, versionId: plan.versionIds[0] ?? '' },
        {
          status: i < 6 ? 'FAILED' : 'SUCCEEDED',
          steps: [
            {
              stepId: 'poll',
              tool: 'http.request',
              attempts: [{ status: i < 6 ? 'FAILED' : 'SUCCEEDED', durationMs: 200 }],
            },
          ],
        },
      );
    }
  });
});
afterAll(async () => {
  await db.drop();
});

describe('draftPlanForWorkspace', () => {
  it('plans deterministically with the workspace’s record: a flaky tool gets retries', async () => {
    const result = await withTenant(db.pools.app, { workspaceId: W }, (client) =>
      draftPlanForWorkspace(client, W, 'fetch https://api.example.com/orders', { engine, llm: null }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec.steps[0]).toMatchObject({ tool: 'http.request', retry: { maxAttempts: 3 } });
  });

  it('gives the model the tools’ records and the hints, and stores the tokens used', async () => {
    const fake = await startFakeOpenAI([
      chatCompletion({
        name: 'orders',
        explanation: 'Fetch the orders.',
        steps: [
          {
            id: 'fetch',
            type: 'tool',
            tool: 'http.request',
            inputJson: '{"url":"https://api.example.com/orders"}',
            after: [],
            message: null,
            retryMaxAttempts: 3,
            timeoutMs: null,
          },
        ],
      }),
    ]);
    try {
      const result = await withTenant(db.pools.app, { workspaceId: W }, (client) =>
        draftPlanForWorkspace(client, W, 'fetch the orders', {
          engine,
          llm: { apiKey: 'sk-test', baseURL: fake.baseURL, model: 'fake-model' },
        }),
      );
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.spec.steps[0]?.retry).toEqual({ maxAttempts: 3, backoff: 'exponential' });
      const messages = (fake.requests[0]?.body.messages ?? []) as Array<{ content: string }>;
      const system = messages[0]?.content ?? '';
      expect(system).toContain('record: 40% success over 10 calls, p95 200 ms');
      expect(system).toContain('- http.request: 40% success over 10 calls');
      const totals = await withTenant(db.pools.app, { workspaceId: W }, (client) => plannerUsageTotals(client));
      expect(totals.drafts).toBe(1);
      expect(totals.totalTokens).toBe(150);
    } finally {
      await fake.close();
    }
  });
});
