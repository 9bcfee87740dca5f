import { gql } from '@apollo/client';
import {
  createTestDatabase,
  eventually,
  type HttpReceiver,
  type ServerProcess,
  signUpUser,
  startHttpReceiver,
  startServerProcess,
  startWorkerProcess,
  TEST_SECRET_KEY,
  TestClient,
  type TestDatabase,
  type TestUser,
  type WorkerProcess,
} from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHookedPlan, startHookedRun } from '../graphql/hooked-run.ts';
import { CREATE_PLAN, CREATE_WORKSPACE, START_EXECUTION } from '../graphql/operations.ts';

// One trace per run across processes: an API process (no workers) receives the webhook that
// starts the run, a separate worker process runs the steps, and both export to a real OTLP/HTTP
// receiver started here. The run's traceId (GraphQL) ties them together, and the worker's log
// lines written while a step runs carry it too.

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string }> }>;
  }>;
}

/** OTLP/JSON ids are hex; tolerate base64 (the protobuf-JSON mapping) too. */
function hex(id: string | undefined): string | undefined {
  if (id === undefined || id === '') return undefined;
  return /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, 'base64').toString('hex');
}

function spansOf(receiver: HttpReceiver): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const request of receiver.requests) {
    if (request.path !== '/v1/traces') continue;
    const body = JSON.parse(request.body.toString('utf8')) as OtlpExport;
    for (const rs of body.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            traceId: hex(s.traceId) ?? '',
            spanId: hex(s.spanId) ?? '',
            ...(hex(s.parentSpanId) === undefined ? {} : { parentSpanId: hex(s.parentSpanId) }),
            name: s.name,
            service,
          });
        }
      }
    }
  }
  return spans;
}

const SPEC = {
  name: 'traced',
  steps: [
    { id: 'hello', tool: 'core.echo', input: { text: 'hi' } },
    {
      id: 'flaky',
      tool: 'core.fail',
      input: { message: 'first try fails', failTimes: 1 },
      retry: { maxAttempts: 2, delayMs: 10 },
      after: ['hello'],
    },
  ],
};

let collector: HttpReceiver;
let db: TestDatabase;
let api: ServerProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  collector = await startHttpReceiver();
  db = await createTestDatabase();
  const env = {
    DATABASE_URL: db.ownerUrl,
    SECRET_KEY: TEST_SECRET_KEY,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
  };
  api = await startServerProcess({ env: { ...env, WORKERS: '0' } });
  worker = await startWorkerProcess({ env: { ...env, WORKERS: '1', LOG_LEVEL: 'info' } });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await collector?.close();
  await db?.drop();
});

/** Waits for `executionId` (seen by `user`) to succeed: its trace id. */
async function succeededRunTraceId(user: TestUser, executionId: string | undefined): Promise<string> {
  const execution = await eventually(
    async () => {
      const r = await user.client.query<{ node: { status: string; traceId: string | null } }>(
        gql`query Run($id: ID!) { node(id: $id) { ... on Execution { status traceId } } }`,
        { id: executionId },
      );
      return r.data?.node.status === 'SUCCEEDED' ? r.data.node : undefined;
    },
    30_000,
    'the run to succeed',
  );
  const traceId = execution.traceId ?? '';
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  return traceId;
}

/** Signs a user up, runs SPEC through a webhook on `apiUrl` until it succeeds: the run's trace id. */
async function hookedRunTraceId(apiUrl: string, name: string): Promise<string> {
  const admin = await signUpUser(new TestClient(apiUrl), name);
  const hook = await createHookedPlan(admin, name, SPEC);
  return succeededRunTraceId(admin, await startHookedRun(apiUrl, hook, { n: 1 }));
}

/** The exported spans of `traceId`, once its three step attempts' spans are in (spans leave in batches). */
function spansOfRun(traceId: string): Promise<OtlpSpan[]> {
  return eventually(
    async () => {
      const spans = spansOf(collector).filter((s) => s.traceId === traceId);
      return spans.filter((s) => s.name.startsWith('weft.step')).length >= 3 ? spans : undefined;
    },
    20_000,
    'the spans to be exported',
  );
}

it('traces a run from its webhook to every step attempt in the worker, and logs carry the trace id', async () => {
  const traceId = await hookedRunTraceId(api.url, 'tracer');

  const inTrace = await spansOfRun(traceId);
  const hookSpan = inTrace.find((s) => s.name === 'webhook POST /hooks/:id');
  const startSpan = inTrace.find((s) => s.name === 'weft.execution.start');
  expect(hookSpan?.service).toBe('weft-api');
  expect(hookSpan?.parentSpanId).toBeUndefined();
  expect(startSpan?.service).toBe('weft-api');
  expect(startSpan?.parentSpanId).toBe(hookSpan?.spanId);
  const stepSpans = inTrace.filter((s) => s.name.startsWith('weft.step'));
  // One span per attempt: hello once, flaky twice (it fails its first attempt).
  expect(stepSpans.map((s) => s.name).sort()).toEqual(['weft.step flaky', 'weft.step flaky', 'weft.step hello']);
  for (const span of stepSpans) {
    expect(span.service).toBe('weft-worker');
    expect(span.parentSpanId).toBe(startSpan?.spanId);
  }
  // Nothing of this run landed in another trace.
  expect(spansOf(collector).filter((s) => s.name.startsWith('weft.step') && s.traceId !== traceId)).toEqual([]);

  const lines = worker
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; traceId?: string; stepId?: string });
  const attemptLines = lines.filter((l) => l.msg?.startsWith('step attempt'));
  expect(attemptLines.map((l) => `${l.stepId} ${l.msg}`).sort()).toEqual([
    'flaky step attempt failed',
    'flaky step attempt succeeded',
    'hello step attempt succeeded',
  ]);
  expect(attemptLines.every((l) => l.traceId === traceId)).toBe(true);
});

it('a GraphQL operation is a span of its own trace', async () => {
  const before = spansOf(collector).length;
  const client = new TestClient(api.url);
  await client.query(gql`query Me { viewer { id } }`);
  const op = await eventually(
    async () =>
      spansOf(collector)
        .slice(before)
        .find((s) => s.name === 'graphql.query Me'),
    10_000,
    'the operation span',
  );
  expect(op.service).toBe('weft-api');
  expect(op.traceId).toMatch(/^[0-9a-f]{32}$/);
});

it("a run started by a GraphQL mutation continues the operation's trace", async () => {
  // The API process keeps no async context: the operation's span reaches the engine explicitly.
  const admin = await signUpUser(new TestClient(api.url), 'mutator');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug: 'mutator', name: 'Mutator' },
  });
  const plan = await admin.client.mutate<{ createPlan: { plan: { id: string } } }>(CREATE_PLAN, {
    input: { workspaceId: ws.data?.createWorkspace.workspace.id, name: 'traced', spec: SPEC },
  });
  const started = await admin.client.mutate<{ startExecution: { execution: { id: string } } }>(START_EXECUTION, {
    input: { planId: plan.data?.createPlan.plan.id },
  });
  const inTrace = await spansOfRun(await succeededRunTraceId(admin, started.data?.startExecution.execution.id));
  const operation = inTrace.find((s) => s.name === 'graphql.mutation StartExecution');
  const start = inTrace.find((s) => s.name === 'weft.execution.start');
  expect(operation?.service).toBe('weft-api');
  expect(start?.parentSpanId).toBe(operation?.spanId);
  for (const step of inTrace.filter((s) => s.name.startsWith('weft.step'))) {
    expect(step.parentSpanId).toBe(start?.spanId);
  }
});

it('without an OTLP endpoint (spans not recorded) runs and their log lines still carry a trace id', async () => {
  const quiet = await createTestDatabase();
  const server = await startServerProcess({
    env: { DATABASE_URL: quiet.ownerUrl, SECRET_KEY: TEST_SECRET_KEY, WORKERS: '1', LOG_LEVEL: 'info' },
  });
  try {
    const traceId = await hookedRunTraceId(server.url, 'untraced');
    const attemptLines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; traceId?: string })
      .filter((l) => l.msg?.startsWith('step attempt'));
    expect(attemptLines).toHaveLength(3);
    expect(attemptLines.every((l) => l.traceId === traceId)).toBe(true);
  } finally {
    await server.stop();
    await quiet.drop();
  }
});
