import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@weft/test-utils';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_STATUS, type RunFixture, startRunFixture } from './run-fixture.ts';

// The run page and runs list of the built console, on a real API with in-process workers (runs
// really execute), driven in Debian's Chromium. The API underneath: run-api.test.ts.
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'test/e2e/screenshots');

let f: RunFixture;
let server: RunFixture['server'];
let alice: string;
let bob: string;
let flakyPlanId: string;
let gatePlanId: string;
let profileDir: string;
let browser: BrowserContext;
const cspViolations: string[] = [];
const graphql = <T>(q: string, v: Record<string, unknown>, t?: string) => f.graphql<T>(q, v, t);
const start = (planId: string, input: unknown) => f.start(planId, input);
const statusOf = (id: string) => f.statusOf(id);

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
  f = await startRunFixture();
  ({ server, alice, bob, flakyPlanId, gatePlanId } = f);
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
  await f?.stop();
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
    // From the last step: the 4 s wait and the flaky step keep their outputs and do not run again.
    await page.getByRole('textbox', { name: 'From step' }).click();
    await page.getByRole('option', { name: 'done' }).click();
    await page.getByRole('button', { name: 'Start the new run' }).click();
    await expect.poll(() => page.url()).not.toContain(encodeURIComponent(runId));
    const newId = decodeURIComponent(page.url().split('/runs/')[1] ?? '');
    const rerun = await graphql<{ node: { input: unknown } }>(RUN_STATUS, { id: newId }, alice);
    expect(rerun.node.input).toEqual({ text: 'second' });
    await expect.poll(() => statusOf(newId), { timeout: 20_000 }).toBe('SUCCEEDED');
    const steps = await graphql<{ node: { output: unknown; attempts: { stepId: string }[] } }>(
      'query($id: ID!) { node(id: $id) { ... on Execution { output attempts { stepId } } } }',
      { id: newId },
      alice,
    );
    expect(steps.node.attempts.map((a) => a.stepId)).toEqual(['done']);
    expect(steps.node.output).toEqual({ done: { text: 'second' } });

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

    // The gate's approval: in view, Approve and Reject disabled, and why.
    await page.goto(`${server.url}/admin/w/acme/approvals`);
    await page.getByText('Only ADMIN or MEMBER may decide this gate; your role is VIEWER.').first().waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).first().isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Reject' }).first().isDisabled()).toBe(true);

    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, path] of [
      ['run-page-390', `/w/acme/runs/${encodeURIComponent(gateRun)}`],
      ['runs-list-390', '/w/acme/runs'],
      ['approvals-390', '/w/acme/approvals'],
      ['plans-390', '/w/acme/plans'],
      ['members-390', '/w/acme/members'],
      ['tokens-390', '/w/acme/tokens'],
      ['schedules-390', '/w/acme/schedules'],
      ['events-390', '/w/acme/events'],
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

describe('sub-plans, fallbacks, step errors and waits on the run page', () => {
  it("links a child run and its parent both ways, shows the trigger, a fallback, each failed step's code and message, and why a step waits", async () => {
    const createPlan = async (name: string, spec: unknown) =>
      (
        await graphql<{ createPlan: { plan: { id: string } } }>(
          'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { message } } }',
          { input: { workspaceId: f.workspaceId, name, spec } },
          alice,
        )
      ).createPlan.plan.id;
    await createPlan('Napper', { steps: [{ id: 'nap', type: 'sleep', durationMs: 3_600_000 }] });
    const parentPlan = await createPlan('Family', {
      steps: [
        { id: 'sub', type: 'plan', plan: 'Napper' },
        {
          id: 'soft',
          tool: 'core.fail',
          input: { message: 'provider down' },
          fallback: { tool: 'core.echo', input: { provider: 'backup' } },
        },
      ],
    });
    const brokenPlan = await createPlan('Broken', {
      steps: [{ id: 'boom', tool: 'core.fail', input: { message: 'card declined' }, retry: { maxAttempts: 1 } }],
    });
    const parentRun = await start(parentPlan, {});
    const page = await browser.newPage();
    await openAs(page, alice, `/w/acme/runs/${encodeURIComponent(parentRun)}`);
    await page.getByRole('heading', { name: 'Run of Family v1' }).waitFor();
    expect(await page.locator('.run-trigger').textContent()).toBe('manual');
    // The fallback's step succeeds with its fallback's output, and says so.
    const node = (step: string) => page.locator(`.step-node[data-step="${step}"]`);
    await expect.poll(() => node('soft').getAttribute('data-status'), { timeout: 20_000 }).toBe('SUCCEEDED');
    await node('soft').click();
    await page.locator('.step-panel .fell-back').waitFor();
    // The child run, by a real link; it was started by its parent and sleeps, and says until when.
    const family = page.getByRole('group', { name: 'Related runs' });
    await family.getByRole('link', { name: /^Napper v1/ }).click();
    await page.getByRole('heading', { name: 'Run of Napper v1' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/admin\/w\/acme\/runs\/.+/);
    expect(await page.locator('.run-trigger').textContent()).toBe('parent');
    await expect.poll(() => node('nap').getAttribute('data-status')).toBe('WAITING');
    await expect.poll(() => page.locator('.step-panel .step-reason').textContent()).toMatch(/^Sleeping until /);
    await page.screenshot({ path: join(SHOTS, 'run-page-child.png'), fullPage: true });
    await page.getByRole('group', { name: 'Related runs' }).getByRole('link', { name: 'Family v1' }).click();
    await page.getByRole('heading', { name: 'Run of Family v1' }).waitFor();

    // A failed step's structured error: its code and message in view on the run and in the list.
    const brokenRun = await start(brokenPlan, {});
    await expect.poll(() => statusOf(brokenRun), { timeout: 20_000 }).toBe('FAILED');
    const { node: failed } = await graphql<{ node: { steps: { errorDetail: { code: string; message: string } }[] } }>(
      'query($id: ID!) { node(id: $id) { ... on Execution { steps { errorDetail { code message } } } } }',
      { id: brokenRun },
      alice,
    );
    const code = failed.steps[0]?.errorDetail.code ?? '';
    expect(code).not.toBe('');
    await page.goto(`${server.url}/admin/w/acme/runs/${encodeURIComponent(brokenRun)}`);
    await page.getByRole('heading', { name: 'Run of Broken v1' }).waitFor();
    await expect
      .poll(() => page.getByRole('list', { name: 'Step errors' }).textContent())
      .toContain(`boom ${code}: card declined`);
    expect(await page.locator('.step-panel .step-error').textContent()).toContain(`Why it failed: ${code}`);
    await page.screenshot({ path: join(SHOTS, 'run-page-failed.png'), fullPage: true });
    await page.goto(`${server.url}/admin/w/acme/runs?plan=${encodeURIComponent(brokenPlan)}`);
    await expect
      .poll(() => page.getByRole('table', { name: 'Runs' }).getByRole('list', { name: 'Step errors' }).textContent())
      .toContain(`boom ${code}: card declined`);
    await page.close();
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

describe('paging the runs list', () => {
  it('Older shows the next runs by cursor, and runs arriving meanwhile shift nothing; Newer goes back', async () => {
    // A plan of its own, whose 40 FAILED runs (a minute apart, each named in its error) are the
    // whole list under its filter: 25 a page, so two pages.
    const { createPlan } = await graphql<{ createPlan: { plan: { id: string } } }>(
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } } }',
      { input: { workspaceId: f.workspaceId, name: 'Paged', spec: { steps: [{ id: 'a', tool: 'core.echo' }] } } },
      alice,
    );
    const seed = (label: string, count: number, minutesAgo: number) =>
      f.db.pools.owner.query(
        `INSERT INTO executions (workspace_id, plan_id, plan_version_id, status, error, created_at, finished_at, last_seq)
         SELECT v.workspace_id, v.plan_id, v.id, 'FAILED', $1 || ' ' || g, x.t, x.t, 0
           FROM plans p JOIN plan_versions v ON v.workspace_id = p.workspace_id AND v.plan_id = p.id,
                generate_series(1, $2::int) g, LATERAL (SELECT now() - make_interval(mins => $3::int + g)) x(t)
          WHERE p.name = 'Paged'`,
        [label, count, minutesAgo],
      );
    await seed('seeded', 40, 10);
    const page = await browser.newPage();
    await openAs(page, alice, `/w/acme/runs?plan=${encodeURIComponent(createPlan.plan.id)}&status=FAILED`);
    const errors = page.getByRole('table', { name: 'Runs' }).locator('tbody > tr .row-error');
    const seeded = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `seeded ${from + i}`);
    // The first load builds the page; the next ones only fetch a page.
    await expect.poll(() => errors.allTextContents(), { timeout: 15_000 }).toEqual(seeded(1, 25));
    // Five newer runs arrive while page 1 is in view; an offset page 2 would repeat five of it.
    await seed('newer', 5, 0);
    await page.getByRole('button', { name: 'Older' }).click();
    await expect.poll(() => errors.allTextContents(), { timeout: 5_000 }).toEqual(seeded(26, 40));
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Newer' }).click();
    await expect
      .poll(() => errors.allTextContents())
      .toEqual([...Array.from({ length: 5 }, (_, i) => `newer ${i + 1}`), ...seeded(1, 20)]);
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
