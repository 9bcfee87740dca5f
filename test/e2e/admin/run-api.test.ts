import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, type RunFixture, startRunFixture } from './run-fixture.ts';

// The API the run page relies on, over real HTTP on a real API process with workers:
// rerunExecution, StepAttempt.logs, cancelExecutions and the runs filters.
let f: RunFixture;
let alice: string;
let bob: string;
let flakyPlanId: string;
let gatePlanId: string;
const graphql = <T>(q: string, v: Record<string, unknown>, t?: string) => f.graphql<T>(q, v, t);
const errorCode = (q: string, v: Record<string, unknown>, t: string) => f.errorCode(q, v, t);
const signUp = (email: string) => f.signUp(email);
const start = (planId: string, input: unknown) => f.start(planId, input);
const statusOf = (id: string) => f.statusOf(id);

beforeAll(async () => {
  f = await startRunFixture();
  ({ alice, bob, flakyPlanId, gatePlanId } = f);
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

describe('rerunExecution and step logs over HTTP', () => {
  const RERUN = `mutation($input: RerunExecutionInput!) {
    rerunExecution(input: $input) { execution { id input mode } userErrors { code field message } }
  }`;

  it('starts a new run with the old or an edited input (audited); viewers are refused, other workspaces NOT_FOUND', async () => {
    const from = await start(flakyPlanId, { text: 'old' });
    const same = await graphql<{ rerunExecution: { execution: { id: string; input: unknown; mode: string } } }>(
      RERUN,
      { input: { id: from } },
      alice,
    );
    expect(same.rerunExecution.execution.input).toEqual({ text: 'old' });
    expect(same.rerunExecution.execution.id).not.toBe(from);
    const edited = await graphql<{ rerunExecution: { execution: { id: string; input: unknown } } }>(
      RERUN,
      { input: { id: from, input: { text: 'new' } } },
      alice,
    );
    expect(edited.rerunExecution.execution.input).toEqual({ text: 'new' });

    const tooBig = await graphql<{ rerunExecution: { execution: unknown; userErrors: { field: string[] }[] } }>(
      RERUN,
      { input: { id: from, input: { text: 'x'.repeat(2_000_000) } } },
      alice,
    ).catch((error: Error) => error);
    // Either the body limit refuses it or the mutation answers a userError on input: never a run.
    if (!(tooBig instanceof Error)) {
      expect(tooBig.rerunExecution.execution).toBeNull();
      expect(tooBig.rerunExecution.userErrors[0]?.field[0]).toBe('input');
    }

    expect(await errorCode(RERUN, { input: { id: from } }, bob)).toBe('FORBIDDEN');
    const eve = await signUp('eve@example.com');
    await graphql(
      'mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } } }',
      { input: { slug: 'evil', name: 'Evil' } },
      eve,
    );
    expect(await errorCode(RERUN, { input: { id: from } }, eve)).toBe('NOT_FOUND');

    const audit = await graphql<{ workspace: { auditLog: { edges: { node: { action: string; data: unknown } }[] } } }>(
      'query { workspace(slug: "acme") { auditLog(first: 5) { edges { node { action data } } } } }',
      {},
      alice,
    );
    // Newest first; the browser test's re-run of another run is in the log too.
    const reruns = audit.workspace.auditLog.edges.filter(
      (e) => e.node.action === 'execution.rerun' && JSON.stringify(e.node.data).includes(from),
    );
    expect(reruns).toHaveLength(2);
    expect(JSON.stringify(reruns[0]?.node.data)).toContain('"inputEdited":true');
    expect(JSON.stringify(reruns[1]?.node.data)).toContain('"inputEdited":false');
  });

  it('with fromStepId, only that step and those after it run again; an unknown step is a userError', async () => {
    const from = await start(flakyPlanId, { text: 'one' });
    await expect.poll(() => statusOf(from), { timeout: 20_000 }).toBe('SUCCEEDED');
    const FROM = `mutation($input: RerunExecutionInput!) {
      rerunExecution(input: $input) { execution { id } userErrors { code field } } }`;
    const bad = await graphql<{ rerunExecution: { execution: unknown; userErrors: unknown[] } }>(
      FROM,
      { input: { id: from, fromStepId: 'nope' } },
      alice,
    );
    expect(bad.rerunExecution).toEqual({ execution: null, userErrors: [{ code: 'NOT_FOUND', field: ['fromStepId'] }] });
    const d = await graphql<{ rerunExecution: { execution: { id: string } } }>(
      FROM,
      { input: { id: from, fromStepId: 'flaky', input: { text: 'two' } } },
      alice,
    );
    const id = d.rerunExecution.execution.id;
    await expect.poll(() => statusOf(id), { timeout: 20_000 }).toBe('SUCCEEDED');
    const run = await graphql<{
      node: {
        output: unknown;
        attempts: { stepId: string; attempt: number }[];
        steps: { stepId: string; status: string }[];
      };
    }>(
      'query($id: ID!) { node(id: $id) { ... on Execution { output attempts { stepId attempt } steps { stepId status } } } }',
      { id },
      alice,
    );
    // The wait kept its output without running; flaky ran again (and failed once again first).
    expect(run.node.attempts.map((a) => [a.stepId, a.attempt])).toEqual([
      ['flaky', 1],
      ['flaky', 2],
      ['done', 1],
    ]);
    expect(run.node.steps.find((s) => s.stepId === 'wait')?.status).toBe('SUCCEEDED');
    expect(run.node.output).toEqual({ done: { text: 'two' } });
  });

  it('each attempt carries the lines its tool logged, in order; another workspace cannot read them', async () => {
    const id = await start(flakyPlanId, { text: 'logs' });
    await expect.poll(() => statusOf(id), { timeout: 20_000 }).toBe('SUCCEEDED');
    const query = `query($id: ID!) { node(id: $id) { ... on Execution {
      attempts { stepId attempt status error logs { line level message data } }
    } } }`;
    const d = await graphql<{
      node: {
        attempts: { stepId: string; attempt: number; status: string; error: string | null; logs: unknown[] }[];
      };
    }>(query, { id }, bob);
    const flaky = d.node.attempts.filter((a) => a.stepId === 'flaky');
    expect(flaky.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'FAILED'],
      [2, 'SUCCEEDED'],
    ]);
    expect(flaky[0]?.error).toBe('the upstream said no');
    expect(flaky[0]?.logs).toEqual([{ line: 1, level: 'warn', message: 'failing attempt 1 on purpose', data: null }]);
    // A tool that logs nothing has no lines (core.echo is silent: it is every benchmark's step).
    expect(d.node.attempts.find((a) => a.stepId === 'done')?.logs).toEqual([]);
    const eve = await graphql<{ logIn: { token: string } }>(
      'mutation($input: LogInInput!) { logIn(input: $input) { token } }',
      { input: { email: 'eve@example.com', password: PASSWORD } },
    );
    expect(await errorCode(query, { id }, eve.logIn.token)).toBe('NOT_FOUND');
  });

  it('cancelExecutions cancels the runs it can, reports the others by index, audits each; viewers are refused', async () => {
    const a = await start(gatePlanId, {});
    const b = await start(gatePlanId, {});
    const done = await start(flakyPlanId, { text: 'bulk' });
    await expect.poll(() => statusOf(done), { timeout: 20_000 }).toBe('SUCCEEDED');
    const CANCEL_MANY = `mutation($input: ExecutionIdsInput!) {
      cancelExecutions(input: $input) { executions { id status } userErrors { code field } } }`;
    expect(await errorCode(CANCEL_MANY, { input: { ids: [a, b] } }, bob)).toBe('FORBIDDEN');
    // Someone of no workspace of Acme's names Acme's runs: nothing is touched, nothing leaks.
    const trudy = await signUp('trudy@example.com');
    expect(await errorCode(CANCEL_MANY, { input: { ids: [a] } }, trudy)).toBe('NOT_FOUND');

    const d = await graphql<{
      cancelExecutions: {
        executions: { id: string; status: string }[];
        userErrors: { code: string; field: string[] }[];
      };
    }>(CANCEL_MANY, { input: { ids: [a, done, b, 'bm9wZQ=='] } }, alice);
    expect(d.cancelExecutions.executions.map((e) => [e.id, e.status])).toEqual([
      [a, 'CANCELLED'],
      [b, 'CANCELLED'],
    ]);
    expect(d.cancelExecutions.userErrors).toEqual([
      { code: 'INVALID_STATE', field: ['ids', '1'] },
      { code: 'NOT_FOUND', field: ['ids', '3'] },
    ]);
    expect(await statusOf(done)).toBe('SUCCEEDED');
    const audit = await graphql<{
      workspace: { auditLog: { edges: { node: { action: string; targetId: string } }[] } };
    }>('query { workspace(slug: "acme") { auditLog(first: 2) { edges { node { action targetId } } } } }', {}, alice);
    expect(audit.workspace.auditLog.edges.map((e) => [e.node.action, e.node.targetId])).toEqual([
      ['execution.cancel', b],
      ['execution.cancel', a],
    ]);
    const empty = await graphql<{ cancelExecutions: { userErrors: { code: string; field: string[] }[] } }>(
      CANCEL_MANY,
      { input: { ids: Array.from({ length: 101 }, () => a) } },
      alice,
    );
    expect(empty.cancelExecutions.userErrors).toEqual([{ code: 'INVALID_INPUT', field: ['ids'] }]);
  });

  it('runs filter by plan and mode; another workspace’s plan id matches nothing', async () => {
    await start(gatePlanId, {});
    await start(flakyPlanId, { text: 'filters' });
    const q = `query($planId: ID, $mode: ExecutionMode) { workspace(slug: "acme") {
      executions(first: 50, planId: $planId, mode: $mode) { edges { node { plan { name } mode } } } } }`;
    type R = { workspace: { executions: { edges: { node: { plan: { name: string }; mode: string } }[] } } };
    const gate = await graphql<R>(q, { planId: gatePlanId }, alice);
    expect(gate.workspace.executions.edges.length).toBeGreaterThan(0);
    expect(new Set(gate.workspace.executions.edges.map((e) => e.node.plan.name))).toEqual(new Set(['Gate']));
    const dry = await graphql<R>(q, { mode: 'DRY_RUN' }, alice);
    expect(dry.workspace.executions.edges).toEqual([]);

    // Mallory's own plan, as a filter in Acme (she is an admin there too, to see its runs at all).
    const mallory = await signUp('mallory@example.com');
    const other = await graphql<{ createWorkspace: { workspace: { id: string } } }>(
      'mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } } }',
      { input: { slug: 'other', name: 'Other' } },
      mallory,
    );
    const foreign = await graphql<{ createPlan: { plan: { id: string } } }>(
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } } }',
      {
        input: {
          workspaceId: other.createWorkspace.workspace.id,
          name: 'Foreign',
          spec: { steps: [{ id: 'a', tool: 'core.echo', input: {} }] },
        },
      },
      mallory,
    );
    const viaForeign = await graphql<R>(q, { planId: foreign.createPlan.plan.id }, alice);
    expect(viaForeign.workspace.executions.edges).toEqual([]);
  });
});
