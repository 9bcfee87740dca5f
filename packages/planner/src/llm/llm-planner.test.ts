import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTenant } from '@weft/db';
import {
  chatCompletion,
  createTestDatabase,
  errorReply,
  type FakeOpenAI,
  REPO_ROOT,
  startFakeOpenAI,
  type TestDatabase,
} from '@weft/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import { draftPlan } from '../draft-plan.ts';
import { catalogueValidator } from '../eval/evaluate.ts';
import type { LlmConfig, PlannerHints } from '../types.ts';
import { plannerUsageTotals } from '../usage-store.ts';

const tools = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/planner/catalogue.json'), 'utf8')) as {
    tools: ToolCatalogueEntry[];
  }
).tools;
const validate = catalogueValidator(tools);

interface Step {
  id: string;
  tool: string | null;
  input?: Record<string, unknown>;
  after?: string[];
  type?: 'tool' | 'approval';
  message?: string | null;
}

/** An answer in the planner's structured-output shape. */
function modelPlan(steps: Step[], explanation = 'Fetches the orders, then waits.') {
  return {
    name: 'drafted',
    explanation,
    steps: steps.map((s) => ({
      id: s.id,
      type: s.type ?? 'tool',
      tool: s.tool,
      inputJson: JSON.stringify(s.input ?? {}),
      after: s.after ?? [],
      message: s.message ?? null,
      retryMaxAttempts: null,
      timeoutMs: null,
    })),
  };
}

const VALID = modelPlan([
  { id: 'fetch', tool: 'http.request', input: { url: 'https://erp.example/orders' } },
  { id: 'pause', tool: 'core.sleep', input: { ms: 1000 }, after: ['fetch'] },
]);
const INVALID = modelPlan([
  { id: 'fetch', tool: 'http.fetch', input: { url: 'https://erp.example/orders' } },
  { id: 'pause', tool: 'core.sleep', input: { ms: 'soon' }, after: ['fetch'] },
]);

let fake: FakeOpenAI | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

function config(overrides: Partial<LlmConfig> = {}): LlmConfig {
  if (!fake) throw new Error('start the fake first');
  return { apiKey: 'sk-test', baseURL: fake.baseURL, model: 'fake-model', timeoutMs: 5000, ...overrides };
}

function lastUserContent(body: Record<string, unknown>): string {
  const messages = body.messages as Array<{ role: string; content: string }>;
  return messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
}

describe('draftPlan with a model', () => {
  it('returns a valid plan with its explanation, sending the catalogue, hints and the plan format', async () => {
    fake = await startFakeOpenAI([chatCompletion(VALID, { prompt_tokens: 321, completion_tokens: 54 })]);
    const hints: PlannerHints = {
      preferred: [],
      unreliable: [{ subject: 'http.request', successRate: 0.5, runs: 20, reason: '50% success over 20 runs' }],
      sequences: [{ tools: ['http.request', 'core.sleep'], count: 7 }],
    };
    const result = await draftPlan({
      request: 'fetch the open orders, then wait a second',
      tools,
      validate,
      llm: config(),
      hints,
    });

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.planner).toBe('llm');
    expect(result.attempts).toBe(1);
    expect(result.explanation).toBe('Fetches the orders, then waits.');
    expect(result.spec.steps).toEqual([
      { id: 'fetch', tool: 'http.request', input: { url: 'https://erp.example/orders' } },
      { id: 'pause', tool: 'core.sleep', input: { ms: 1000 }, after: ['fetch'] },
    ]);
    expect(result.usage).toEqual({ promptTokens: 321, completionTokens: 54, totalTokens: 375, requests: 1 });

    expect(fake.requests).toHaveLength(1);
    const body = fake.requests[0]?.body ?? {};
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(body.model).toBe('fake-model');
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'weft_plan', strict: true },
    });
    const system = (body.messages as Array<{ role: string; content: string }>)[0]?.content ?? '';
    expect(system).toContain('calendar.find_free_slot');
    expect(system).toContain('"durationMinutes"');
    expect(system).toContain('http.request: 50% success over 20 runs');
    expect(system).toContain('http.request → core.sleep (7 times)');
    expect(lastUserContent(body)).toBe('fetch the open orders, then wait a second');
  });

  it('sends the validation issues back and accepts the repaired plan', async () => {
    fake = await startFakeOpenAI([chatCompletion(INVALID), chatCompletion(VALID)]);
    const result = await draftPlan({ request: 'fetch orders then wait', tools, validate, llm: config() });

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.attempts).toBe(2);
    expect(result.usage?.requests).toBe(2);
    expect(result.usage?.totalTokens).toBe(300);
    expect(fake.requests).toHaveLength(2);
    const repair = lastUserContent(fake.requests[1]?.body ?? {});
    expect(repair).toContain('steps.0.tool: no tool "http.fetch"');
    expect(repair).toContain('steps.1.input.ms');
    // The model sees its own rejected answer before the issues.
    const messages = fake.requests[1]?.body.messages as Array<{ role: string; content: string }>;
    expect(messages.at(-2)).toEqual({ role: 'assistant', content: JSON.stringify(INVALID) });
  });

  it('gives up after the allowed repairs with PLAN_INVALID and the last issues', async () => {
    fake = await startFakeOpenAI([chatCompletion(INVALID)]);
    const result = await draftPlan({
      request: 'fetch orders then wait',
      tools,
      validate,
      llm: config({ maxRepairs: 2 }),
    });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(fake.requests).toHaveLength(3);
    expect(result.attempts).toBe(3);
    expect(result.error.code).toBe('PLAN_INVALID');
    expect(result.error.message).toContain('after 3 attempts');
    expect(result.error.issues?.map((i) => i.code)).toContain('UNKNOWN_TOOL');
  });

  it('treats an answer that is not the plan format as something to repair', async () => {
    fake = await startFakeOpenAI([chatCompletion('Sure! Here is your plan: step 1...'), chatCompletion(VALID)]);
    const result = await draftPlan({ request: 'fetch orders then wait', tools, validate, llm: config() });
    expect(result.ok).toBe(true);
    expect(lastUserContent(fake.requests[1]?.body ?? {})).toContain('the answer is not valid JSON');
  });

  it('reports NO_SUITABLE_TOOLS with the model’s reason when it finds no tool for the request', async () => {
    fake = await startFakeOpenAI([chatCompletion(modelPlan([], 'No tool here can book flights.'))]);
    const result = await draftPlan({ request: 'Book me a flight to Paris', tools, validate, llm: config() });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toEqual({
      code: 'NO_SUITABLE_TOOLS',
      message: 'the model found no tools for this request: No tool here can book flights.',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('fails with LLM_TIMEOUT when the server never answers, instead of hanging', async () => {
    fake = await startFakeOpenAI([{ kind: 'hang' }]);
    const started = Date.now();
    const result = await draftPlan({ request: 'fetch orders', tools, validate, llm: config({ timeoutMs: 300 }) });
    const elapsed = Date.now() - started;

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toEqual({ code: 'LLM_TIMEOUT', message: 'the model did not answer within 300 ms' });
    expect(fake.requests).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(5000);
  });

  it('waits out a 429 for as long as retry-after says, then succeeds', async () => {
    fake = await startFakeOpenAI([
      errorReply(429, 'Rate limit reached', { 'retry-after': '1' }),
      chatCompletion(VALID),
    ]);
    const started = Date.now();
    const result = await draftPlan({ request: 'fetch orders then wait', tools, validate, llm: config() });

    expect(result.ok).toBe(true);
    expect(fake.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    if (result.ok) expect(result.usage?.requests).toBe(2);
  });

  it('fails with LLM_RATE_LIMITED when 429s persist, after a bounded number of tries', async () => {
    fake = await startFakeOpenAI([errorReply(429, 'Rate limit reached', { 'retry-after-ms': '20' })]);
    const result = await draftPlan({
      request: 'fetch orders',
      tools,
      validate,
      llm: config({ maxRateLimitRetries: 2 }),
    });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('LLM_RATE_LIMITED');
    expect(result.error.message).toContain('tried 3 times');
    expect(fake.requests).toHaveLength(3);
  });

  it('does not wait when retry-after is longer than the configured bound', async () => {
    fake = await startFakeOpenAI([errorReply(429, 'Slow down', { 'retry-after': '120' }), chatCompletion(VALID)]);
    const result = await draftPlan({
      request: 'fetch orders',
      tools,
      validate,
      llm: config({ maxRetryAfterMs: 5000 }),
    });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('LLM_RATE_LIMITED');
    expect(result.error.message).toContain('asked to wait 120 s');
    expect(fake.requests).toHaveLength(1);
  });

  it('reports provider failures as LLM_ERROR with a coarse message; the status and text go to the log only', async () => {
    fake = await startFakeOpenAI([errorReply(500, 'The server had an error for org-acme')]);
    const logged: unknown[] = [];
    const result = await draftPlan({
      request: 'fetch orders',
      tools,
      validate,
      llm: config({ onFailure: (detail) => logged.push(detail) }),
    });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toEqual({ code: 'LLM_ERROR', message: 'the model provider is unavailable; try again later' });
    expect(logged).toEqual([
      { kind: 'LLM_UNAVAILABLE', status: 500, providerMessage: expect.stringContaining('org-acme') },
    ]);
  });

  it('refuses an empty request without calling the model', async () => {
    fake = await startFakeOpenAI([chatCompletion(VALID)]);
    const result = await draftPlan({ request: '   ', tools, validate, llm: config() });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('BAD_REQUEST');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('token usage storage', () => {
  let db: TestDatabase;
  const workspaceA = '00000000-0000-4000-8000-00000000000a';
  const workspaceB = '00000000-0000-4000-8000-00000000000b';

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pools.owner.query(
      `INSERT INTO workspaces (id, slug, name) VALUES ($1, 'usage-a', 'A'), ($2, 'usage-b', 'B')`,
      [workspaceA, workspaceB],
    );
  });
  afterAll(async () => {
    await db.drop();
  });

  it('stores each draft’s tokens in the workspace, invisible to other workspaces', async () => {
    fake = await startFakeOpenAI([
      chatCompletion(INVALID),
      chatCompletion(VALID, { prompt_tokens: 400, completion_tokens: 80 }),
    ]);
    const result = await withTenant(db.pools.app, { workspaceId: workspaceA }, (client) =>
      draftPlan({
        request: 'fetch orders then wait',
        tools,
        validate,
        llm: config(),
        usageStore: { client, workspaceId: workspaceA },
      }),
    );
    expect(result.ok).toBe(true);

    const totals = await withTenant(db.pools.app, { workspaceId: workspaceA }, (client) => plannerUsageTotals(client));
    expect(totals).toEqual({ drafts: 1, promptTokens: 500, completionTokens: 130, totalTokens: 630 });
    const row = await withTenant(db.pools.app, { workspaceId: workspaceA }, async (client) => {
      const { rows } = await client.query('SELECT model, outcome, attempts, requests FROM planner_usage');
      return rows[0];
    });
    expect(row).toEqual({ model: 'fake-model', outcome: 'OK', attempts: 2, requests: 2 });

    const other = await withTenant(db.pools.app, { workspaceId: workspaceB }, (client) => plannerUsageTotals(client));
    expect(other.drafts).toBe(0);
  });

  it('stores failed drafts too, with their error code', async () => {
    fake = await startFakeOpenAI([errorReply(500, 'down')]);
    await withTenant(db.pools.app, { workspaceId: workspaceB }, (client) =>
      draftPlan({
        request: 'fetch orders',
        tools,
        validate,
        llm: config(),
        usageStore: { client, workspaceId: workspaceB },
      }),
    );
    const rows = await withTenant(db.pools.app, { workspaceId: workspaceB }, async (client) => {
      const { rows } = await client.query('SELECT outcome, requests, total_tokens FROM planner_usage');
      return rows;
    });
    expect(rows).toEqual([{ outcome: 'LLM_ERROR', requests: 1, total_tokens: 0 }]);
  });
});
