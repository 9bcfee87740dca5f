import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  REPO_ROOT,
  type ServerProcess,
  startServerProcess,
  TEST_SECRET_KEY,
  type TestDatabase,
} from '@weft/test-utils';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The run page and runs list of the built console, on a real API with in-process workers (runs
// really execute), driven in Debian's Chromium; plus rerunExecution and step logs over HTTP.
const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery staple';
const SHOTS = join(REPO_ROOT, 'test/e2e/screenshots');

let db: TestDatabase;
let server: ServerProcess;
let profileDir: string;
let browser: BrowserContext;
let alice: string;
let bob: string;
let workspaceId: string;
let flakyPlanId: string;
let gatePlanId: string;
const cspViolations: string[] = [];

async function graphql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { extensions?: { code?: string } }[] };
  if (body.data === undefined || body.data === null || body.errors !== undefined) {
    throw new Error(`GraphQL failed: ${JSON.stringify(body)}`);
  }
  return body.data;
}

/** The error code of a request expected to fail. */
async function errorCode(
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<string | undefined> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  return body.errors?.[0]?.extensions?.code;
}

async function signUp(email: string): Promise<string> {
  const d = await graphql<{ signUp: { token: string } }>(
    'mutation($input: SignUpInput!) { signUp(input: $input) { token } }',
    { input: { email, password: PASSWORD, name: email.split('@')[0] } },
  );
  return d.signUp.token;
}

async function createPlan(name: string, spec: unknown): Promise<string> {
  const d = await graphql<{ createPlan: { plan: { id: string } } }>(
    'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { message } } }',
    { input: { workspaceId, name, spec } },
    alice,
  );
  return d.createPlan.plan.id;
}

async function start(planId: string, input: unknown): Promise<string> {
  const d = await graphql<{ startExecution: { execution: { id: string } } }>(
    'mutation($input: StartExecutionInput!) { startExecution(input: $input) { execution { id } userErrors { message } } }',
    { input: { planId, input } },
    alice,
  );
  return d.startExecution.execution.id;
}

const RUN_STATUS = 'query($id: ID!) { node(id: $id) { ... on Execution { status input } } }';
async function statusOf(id: string, token = alice): Promise<string> {
  const d = await graphql<{ node: { status: string } }>(RUN_STATUS, { id }, token);
  return d.node.status;
}

/** Opens the console as the holder of `token` (the console keeps its session in localStorage). */
async function openAs(page: Page, token: string, path: string): Promise<void> {
  await page.goto(`${server.url}/admin/`);
  await page.evaluate((t) => window.localStorage.setItem('weft.token', t), token);
  await page.goto(`${server.url}/admin${path}`);
}

async function noSidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'apps/admin/dist/index.html'))) {
    throw new Error('apps/admin/dist is missing: run `npm run build` (npm test builds before vitest)');
  }
  await mkdir(SHOTS, { recursive: true });
  db = await createTestDatabase();
  server = await startServerProcess({
    env: { DATABASE_URL: db.ownerUrl, SECRET_KEY: TEST_SECRET_KEY, WORKERS: '2' },
  });
  alice = await signUp('alice@example.com');
  bob = await signUp('bob@example.com');
  const ws = await graphql<{ createWorkspace: { workspace: { id: string } } }>(
    'mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { workspace { id } } }',
    { input: { slug: 'acme', name: 'Acme' } },
    alice,
  );
  workspaceId = ws.createWorkspace.workspace.id;
  await graphql(
    'mutation($input: AddMemberInput!) { addMember(input: $input) { userErrors { message } } }',
    { input: { workspaceId, email: 'bob@example.com', role: 'VIEWER' } },
    alice,
  );
  // wait → flaky (fails its first attempt, then succeeds on retry) → done.
  flakyPlanId = await createPlan('Flaky', {
    steps: [
      { id: 'wait', tool: 'core.sleep', input: { ms: 4000 } },
      {
        id: 'flaky',
        tool: 'core.fail',
        input: { message: 'the upstream said no', failTimes: 1 },
        after: ['wait'],
        retry: { maxAttempts: 3, delayMs: 100 },
      },
      { id: 'done', tool: 'core.echo', input: { text: '{{ input.text }}' }, after: ['flaky'] },
    ],
  });
  gatePlanId = await createPlan('Gate', {
    steps: [
      { id: 'ok', type: 'approval', message: 'Go on?' },
      { id: 'after', tool: 'core.echo', input: {}, after: ['ok'] },
    ],
  });
  profileDir = await mkdtemp(join(tmpdir(), 'weft-run-page-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  browser.setDefaultTimeout(15_000);
  browser.on('page', (page) =>
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    }),
  );
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await db?.drop();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

describe('run page and runs list in a real browser', () => {
  it('a deep link survives reload; the graph turns green live; a failed attempt shows its error and logs; re-run with edited input starts a new run', async () => {
    const runId = await start(flakyPlanId, { text: 'first' });
    const page = await browser.newPage();
    await openAs(page, alice, `/w/acme/runs/${encodeURIComponent(runId)}`);
    await page.reload();
    await page.getByRole('heading', { name: 'Run of Flaky v1' }).waitFor();
    const node = (step: string) => page.locator(`.step-node[data-step="${step}"]`);
    expect(await page.locator('.step-node').count()).toBe(3);
    // The page was open before the run finished: the last step turns SUCCEEDED without a reload.
    expect(await node('done').getAttribute('data-status')).not.toBe('SUCCEEDED');
    await expect.poll(() => node('done').getAttribute('data-status'), { timeout: 20_000 }).toBe('SUCCEEDED');
    await expect.poll(() => node('flaky').getAttribute('data-status')).toBe('SUCCEEDED');
    await page.screenshot({ path: join(SHOTS, 'run-page.png'), fullPage: true });

    // The retried step: its failed first attempt keeps its error and the line it logged.
    await node('flaky').click();
    const panel = page.locator('.step-panel');
    await panel.getByRole('heading', { name: 'Step flaky' }).waitFor();
    const first = panel.locator('section[aria-label="Attempt 1"]');
    await expect.poll(() => first.locator('.attempt-error').textContent()).toContain('the upstream said no');
    await expect.poll(() => first.locator('pre.logs').textContent()).toContain('failing attempt 1 on purpose');
    expect(await panel.locator('section[aria-label="Attempt 2"]').textContent()).toContain('SUCCEEDED');
    // Timeline: one bar per attempt of every step (the retry is its own bar).
    expect(await page.locator('.timeline-bar[data-status]').count()).toBe(4);

    // Re-run with an edited input: a new run starts and the page moves to it.
    await page.getByRole('button', { name: 'Re-run' }).click();
    const editor = page.getByRole('textbox', { name: 'Input' });
    await editor.fill('{ not json');
    await page.getByRole('button', { name: 'Start the new run' }).click();
    await page.getByText(/Not valid JSON/).waitFor();
    await editor.fill('{ "text": "second" }');
    await page.getByRole('button', { name: 'Start the new run' }).click();
    await expect.poll(() => page.url()).not.toContain(encodeURIComponent(runId));
    const newId = decodeURIComponent(page.url().split('/runs/')[1] ?? '');
    const rerun = await graphql<{ node: { input: unknown } }>(RUN_STATUS, { id: newId }, alice);
    expect(rerun.node.input).toEqual({ text: 'second' });
    await expect.poll(() => statusOf(newId), { timeout: 20_000 }).toBe('SUCCEEDED');

    // The runs list: both runs, filterable by status, and a row opens its run.
    await page.goto(`${server.url}/admin/w/acme/runs`);
    const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody > tr');
    await expect.poll(() => rows.count()).toBe(2);
    await page.screenshot({ path: join(SHOTS, 'runs-list.png'), fullPage: true });
    await page.goto(`${server.url}/admin/w/acme/runs?status=FAILED`);
    await page.getByText('No run matches these filters.').waitFor();
    await page.goto(`${server.url}/admin/w/acme/runs?status=SUCCEEDED`);
    await expect.poll(() => rows.count()).toBe(2);
    await rows.first().click();
    await page.getByRole('heading', { name: 'Run of Flaky v1' }).waitFor();
    expect(page.url()).toContain('/admin/w/acme/runs/');
    expect(cspViolations).toEqual([]);
  }, 90_000);

  it('a viewer sees cancel disabled with the reason in view; at 390 px no page scrolls sideways', async () => {
    const gateRun = await start(gatePlanId, {});
    await expect.poll(() => statusOf(gateRun)).toBe('WAITING_APPROVAL');
    const page = await browser.newPage();
    await openAs(page, bob, `/w/acme/runs/${encodeURIComponent(gateRun)}`);
    await page.getByRole('heading', { name: 'Run of Gate v1' }).waitFor();
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    expect(await cancel.isDisabled()).toBe(true);
    expect(await page.getByText('Viewers can watch runs but not start or control them').first().isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Re-run' }).isDisabled()).toBe(true);
    // The gate's step panel says what it waits for and who may decide.
    await page.getByText('Approval pending').waitFor();
    expect(await page.locator('.step-panel').textContent()).toContain('Go on?');

    // Bulk cancel on the runs list: visible, disabled, with the same reason.
    await page.goto(`${server.url}/admin/w/acme/runs`);
    expect(await page.getByRole('button', { name: /^Cancel selected/ }).isDisabled()).toBe(true);
    await page.getByText('Viewers can watch runs but not start or control them').first().waitFor();
    expect(await page.getByRole('checkbox').first().isDisabled()).toBe(true);

    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, path] of [
      ['run-page-390', `/w/acme/runs/${encodeURIComponent(gateRun)}`],
      ['runs-list-390', '/w/acme/runs'],
      ['approvals-390', '/w/acme/approvals'],
      ['plans-390', '/w/acme/plans'],
      ['members-390', '/w/acme/members'],
      ['tokens-390', '/w/acme/tokens'],
      ['workspaces-390', '/'],
    ] as const) {
      await page.goto(`${server.url}/admin${path}`);
      await page.locator('main > *').first().waitFor();
      await page.waitForLoadState('networkidle').catch(() => undefined);
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
      expect({ page: name, width: await noSidewaysScroll(page) }).toEqual({ page: name, width: 390 });
    }
  }, 60_000);
});

describe('bulk cancel in the runs list', () => {
  it('a member selects runs still going, confirms, and they are cancelled', async () => {
    const one = await start(gatePlanId, { n: 1 });
    const two = await start(gatePlanId, { n: 2 });
    await expect.poll(() => statusOf(two)).toBe('WAITING_APPROVAL');
    const page = await browser.newPage();
    await openAs(page, alice, '/w/acme/runs?status=WAITING_APPROVAL');
    const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody > tr');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(2);
    const count = await rows.count();
    for (let i = 0; i < count; i++) await rows.nth(i).getByRole('checkbox').check();
    await page.getByRole('button', { name: `Cancel selected (${count})` }).click();
    await page.getByRole('button', { name: /^Yes, cancel selected/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Cancelled ${count} run`);
    expect([await statusOf(one), await statusOf(two)]).toEqual(['CANCELLED', 'CANCELLED']);
    await page.close();
  }, 30_000);
});

describe('GraphiQL', () => {
  it('renders from the server alone: every request other than to the API itself is refused', async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === server.url || url.protocol === 'blob:' || url.protocol === 'data:') return route.continue();
      elsewhere.push(url.href);
      return route.abort();
    });
    await page.goto(`${server.url}/graphql`);
    await page.locator('.graphiql-container').first().waitFor();
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 30_000);
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
    expect(d.node.attempts.find((a) => a.stepId === 'done')?.logs).toEqual([
      { line: 1, level: 'info', message: 'echoing the input back', data: { fields: 1 } },
    ]);
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
