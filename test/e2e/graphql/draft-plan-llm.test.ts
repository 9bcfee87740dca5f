// draftPlan with a model configured (OPENAI_API_KEY / OPENAI_BASE_URL), against a fake
// OpenAI-compatible server: the model's plan comes back validated, the model is offered the
// installed plugins' tools, and provider failures become clear userErrors.
import {
  chatCompletion,
  errorReply,
  type FakeOpenAI,
  type FakeOpenAIRequest,
  signUpUser,
  startFakeOpenAI,
  startTestApi,
  type TestApi,
  TestClient,
  type TestUser,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAFT_PLAN, INSTALL_PLUGIN, MARKETPLACE } from './marketplace-operations.ts';
import { CREATE_PLAN, CREATE_WORKSPACE } from './operations.ts';

let fake: FakeOpenAI;
let api: TestApi;
let admin: TestUser;
let workspaceId: string;

const step = (id: string, tool: string, input: object, after: string[] = []) => ({
  id,
  type: 'tool',
  tool,
  inputJson: JSON.stringify(input),
  after,
  message: null,
  retryMaxAttempts: null,
  timeoutMs: null,
});

function userText(request: FakeOpenAIRequest): string {
  const messages = (request.body.messages ?? []) as Array<{ role: string; content: string }>;
  return messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
}

beforeAll(async () => {
  fake = await startFakeOpenAI((request) => {
    const text = userText(request);
    if (text.includes('slowly')) return { kind: 'hang' };
    if (text.includes('busy')) return errorReply(429, 'Rate limit reached', { 'retry-after': '120' });
    if (text.includes('outage')) return errorReply(500, 'The server had an error');
    if (text.includes('nonsense')) {
      return chatCompletion({ name: 'bad', explanation: 'x', steps: [step('go', 'teleport.now', {})] });
    }
    return chatCompletion({
      name: 'public-profile',
      explanation: 'Echo the user, then keep only public fields.',
      steps: [
        step('user', 'core.echo', { name: 'Ada', password: 'x' }),
        step('public', 'transform.pick', { value: '{{ steps.user.output }}', paths: ['name'] }, ['user']),
      ],
    });
  });
  api = await startTestApi({
    // A short request timeout bounds each model request (to two thirds of it), so a hanging
    // provider is reported as LLM_TIMEOUT within the request.
    env: {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_MODEL: 'fake-model',
      REQUEST_TIMEOUT_MS: '4500',
    },
  });
  const anonymous = new TestClient(api.url);
  admin = await signUpUser(anonymous, 'planner');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'llm', name: 'LLM' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
  const market = await admin.client.query<{ marketplace: { edges: { node: { versions: { id: string }[] } }[] } }>(
    MARKETPLACE,
    { search: 'transform' },
  );
  const installed = await admin.client.mutate<{ installPlugin: { userErrors: unknown[] } }>(INSTALL_PLUGIN, {
    input: {
      workspaceId,
      pluginVersionId: market.data?.marketplace.edges[0]?.node.versions[0]?.id,
      grantedCapabilities: [],
    },
  });
  expect(installed.data?.installPlugin.userErrors).toEqual([]);
}, 120_000);
afterAll(async () => {
  await api?.close();
  await fake?.close();
});

type Draft = {
  draftPlan: {
    spec: { steps: { id: string; tool: string }[] } | null;
    explanation: string | null;
    planner: string;
    usage: { totalTokens: number; requests: number } | null;
    userErrors: { code: string; field: string[] | null; message: string }[];
  };
};

const draft = (request: string) => admin.client.mutate<Draft>(DRAFT_PLAN, { input: { workspaceId, request } });

describe('draftPlan with a model', () => {
  it("returns the model's plan, validated against the workspace's tools, which createPlan accepts", async () => {
    const r = await draft('echo the user and keep only the public fields');
    expect(r.errors).toEqual([]);
    const d = r.data?.draftPlan;
    expect(d?.userErrors).toEqual([]);
    expect(d?.planner).toBe('llm');
    expect(d?.explanation).toBe('Echo the user, then keep only public fields.');
    expect(d?.spec?.steps.map((s) => s.tool)).toEqual(['core.echo', 'transform.pick']);
    expect(d?.usage).toEqual({ promptTokens: 100, completionTokens: 50, totalTokens: 150, requests: 1 });
    // The model was offered the installed plugin's tools.
    const system = ((fake.requests.at(-1)?.body.messages ?? []) as Array<{ content: string }>)[0]?.content ?? '';
    expect(system).toContain('transform.pick');
    const plan = await admin.client.mutate<{ createPlan: { userErrors: unknown[] } }>(CREATE_PLAN, {
      input: { workspaceId, name: 'from-llm', spec: d?.spec },
    });
    expect(plan.data?.createPlan.userErrors).toEqual([]);
  });

  it('a rate-limited provider becomes LLM_RATE_LIMITED, an outage LLM_ERROR, both without a spec', async () => {
    const busy = await draft('we are busy: echo hi');
    expect(busy.data?.draftPlan).toMatchObject({
      spec: null,
      userErrors: [{ code: 'LLM_RATE_LIMITED', field: null, message: expect.stringMatching(/\S/) }],
    });
    const outage = await draft('during the outage: echo hi');
    expect(outage.data?.draftPlan.userErrors).toEqual([
      { code: 'LLM_ERROR', field: null, message: expect.stringMatching(/\S/) },
    ]);
  });

  it('a provider that does not answer in time becomes LLM_TIMEOUT, before the request times out', async () => {
    const r = await draft('think about it slowly: echo hi');
    expect(r.errors).toEqual([]);
    expect(r.data?.draftPlan.userErrors).toEqual([
      { code: 'LLM_TIMEOUT', field: null, message: expect.stringMatching(/\S/) },
    ]);
  });

  it('a model that keeps answering invalid plans ends in PLAN_INVALID with the path of the issue', async () => {
    const r = await draft('do some nonsense');
    expect(r.data?.draftPlan.spec).toBeNull();
    expect(r.data?.draftPlan.userErrors).toEqual([
      { code: 'PLAN_INVALID', field: ['spec', 'steps', '0', 'tool'], message: expect.stringContaining('teleport.now') },
    ]);
    // The usage of failed drafts is recorded too.
    const { rows } = await api.db.pools.owner.query<{ outcome: string }>(
      'SELECT outcome FROM planner_usage ORDER BY created_at',
    );
    expect(rows.map((row) => row.outcome)).toEqual([
      'OK',
      'LLM_RATE_LIMITED',
      'LLM_ERROR',
      'LLM_TIMEOUT',
      'PLAN_INVALID',
    ]);
  });
});
