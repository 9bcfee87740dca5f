import { randomBytes, randomUUID } from 'node:crypto';
import { gql } from '@apollo/client';
import { signUpUser, startTestApi, type TestApi, TestClient, type TestUser } from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG, CREATE_PLAN, CREATE_WORKSPACE } from './operations.ts';

// Conditions, fallbacks and idempotency keys through the API over real HTTP, with one in-process worker.

interface Step {
  stepId: string;
  status: string;
  attempts: number;
  output: unknown;
  fellBack: boolean;
}
interface Execution {
  id: string;
  status: string;
  output: unknown;
  steps: Step[];
  events: { type: string; stepId: string | null; data: Record<string, unknown> | null }[];
}
type UserErrors = { code: string; field: string[] | null; message: string }[];

const START = gql`
  mutation Start($input: StartExecutionInput!) {
    startExecution(input: $input) {
      execution { id status }
      userErrors { code field message }
    }
  }
`;
const READ = gql`
  query Read($id: ID!) {
    node(id: $id) {
      id
      ... on Execution {
        status output
        steps { stepId status attempts output fellBack }
        events { type stepId data }
      }
    }
  }
`;

let api: TestApi;
let admin: TestUser;
let workspaceId: string;
const slug = `branch-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  api = await startTestApi({ env: { WORKERS: '1', RATE_LIMIT_PER_MINUTE: '100000' } });
  admin = await signUpUser(new TestClient(api.url), 'admin');
  const ws = await admin.client.mutate<{ createWorkspace: { workspace: { id: string } } }>(CREATE_WORKSPACE, {
    input: { slug, name: 'Branching' },
  });
  workspaceId = ws.data?.createWorkspace.workspace.id ?? '';
});
afterAll(() => api?.close());

async function createPlan(spec: object): Promise<{ planId: string; userErrors: UserErrors }> {
  const r = await admin.client.mutate<{ createPlan: { plan: { id: string } | null; userErrors: UserErrors } }>(
    CREATE_PLAN,
    { input: { workspaceId, name: `plan-${randomBytes(4).toString('hex')}`, spec } },
  );
  expect(r.errors).toEqual([]);
  return { planId: r.data?.createPlan.plan?.id ?? '', userErrors: r.data?.createPlan.userErrors ?? [] };
}

async function start(input: Record<string, unknown>): Promise<{ id: string | null; userErrors: UserErrors }> {
  const r = await admin.client.mutate<{ startExecution: { execution: { id: string } | null; userErrors: UserErrors } }>(
    START,
    { input },
  );
  expect(r.errors).toEqual([]);
  return { id: r.data?.startExecution.execution?.id ?? null, userErrors: r.data?.startExecution.userErrors ?? [] };
}

async function finished(id: string): Promise<Execution> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await admin.client.query<{ node: Execution }>(READ, { id });
    const e = r.data?.node;
    if (e && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status)) return e;
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(e)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const byStep = (e: Execution) => Object.fromEntries(e.steps.map((s) => [s.stepId, s]));

describe('conditions and recovery over the API', () => {
  it('runs a plan with an if/else made by createPlan: the false branch is SKIPPED, the run SUCCEEDS', async () => {
    const { planId, userErrors } = await createPlan({
      steps: [
        { id: 'check', tool: 'core.echo', input: { total: '{{ input.total }}' } },
        { id: 'big', tool: 'core.echo', if: 'steps.check.output.total > 100', input: { route: 'manual review' } },
        { id: 'small', tool: 'core.echo', if: 'steps.check.output.total <= 100', input: { route: 'auto' } },
        {
          id: 'done',
          tool: 'core.echo',
          if: 'true',
          input: { big: '{{ steps.big.output }}', small: '{{ steps.small.output }}' },
        },
      ],
    });
    expect(userErrors).toEqual([]);
    const started = await start({ planId, input: { total: 250 } });
    const run = await finished(started.id ?? '');
    expect(run.status).toBe('SUCCEEDED');
    const steps = byStep(run);
    expect(steps.small?.status).toBe('SKIPPED');
    expect(steps.big?.status).toBe('SUCCEEDED');
    expect(run.output).toEqual({ done: { big: { route: 'manual review' }, small: null } });
    expect(run.events.filter((e) => e.type === 'step.skipped').map((e) => e.stepId)).toEqual(['small']);
  });

  it('refuses a plan whose if does not parse, with the path of the expression', async () => {
    const { planId, userErrors } = await createPlan({
      steps: [
        { id: 'a', tool: 'core.echo', input: {} },
        { id: 'b', tool: 'core.echo', if: 'steps.a.output.total >>> 1', input: {} },
      ],
    });
    expect(planId).toBe('');
    expect(userErrors.map((e) => [e.code, e.field])).toEqual([['BAD_CONDITION', ['spec', 'steps', '1', 'if']]]);
  });

  it('shows a fallback as StepRun.fellBack, and a continueOnError failure without failing the run', async () => {
    const { planId } = await createPlan({
      steps: [
        {
          id: 'primary',
          tool: 'core.fail',
          input: { message: 'provider down' },
          fallback: { tool: 'core.echo', input: { provider: 'backup' } },
        },
        { id: 'optional', tool: 'core.fail', input: { message: 'nice to have' }, continueOnError: true },
        {
          id: 'after',
          tool: 'core.echo',
          input: { p: '{{ steps.primary.output.provider }}', o: '{{ steps.optional.output }}' },
        },
      ],
    });
    const run = await finished((await start({ planId })).id ?? '');
    expect(run.status).toBe('SUCCEEDED');
    const steps = byStep(run);
    expect(steps.primary).toMatchObject({ status: 'SUCCEEDED', fellBack: true, output: { provider: 'backup' } });
    expect(steps.optional).toMatchObject({ status: 'FAILED', fellBack: false });
    expect(steps.after?.output).toEqual({ p: 'backup', o: null });
    expect(run.events.some((e) => e.type === 'step.failed' && e.stepId === 'optional')).toBe(true);
  });
});

describe('idempotency keys', () => {
  it('returns the first execution for a repeated key, starts one run for concurrent calls, and bounds the key', async () => {
    const { planId } = await createPlan({ steps: [{ id: 'a', tool: 'core.echo', input: { n: 1 } }] });
    const key = `invoice-${randomUUID()}`;
    const first = await start({ planId, idempotencyKey: key });
    expect(first.userErrors).toEqual([]);
    const again = await start({ planId, idempotencyKey: key, input: { different: true } });
    expect(again.id).toBe(first.id);

    const raced = `race-${randomUUID()}`;
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => start({ planId, idempotencyKey: raced })));
    expect(results.map((r) => r.userErrors)).toEqual(results.map(() => []));
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(ids.has(first.id)).toBe(false);

    const tooLong = await start({ planId, idempotencyKey: 'k'.repeat(201) });
    expect(tooLong.id).toBeNull();
    expect(tooLong.userErrors.map((e) => [e.code, e.field])).toEqual([['INVALID_INPUT', ['idempotencyKey']]]);

    // Every call is audited; the repeated ones say they reused the first run.
    const audit = await admin.client.query<{
      workspace: {
        auditLog: { edges: { node: { action: string; targetId: string; data: Record<string, unknown> } }[] };
      };
    }>(AUDIT_LOG, { slug });
    const starts = (audit.data?.workspace.auditLog.edges ?? [])
      .map((e) => e.node)
      .filter((n) => n.action === 'execution.start' && n.targetId === first.id);
    expect(starts.map((n) => (n.data as { after?: { reused?: boolean } }).after?.reused).sort()).toEqual([false, true]);
  });
});
