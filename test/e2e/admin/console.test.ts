import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
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

// The real console (apps/admin/dist, built by `npm test` before vitest runs) served by the real
// API process, driven in Debian's Chromium. Playwright never downloads a browser here.
const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery staple';

let db: TestDatabase;
let server: ServerProcess;
let profileDir: string;
let browser: BrowserContext;

const cspViolations: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'apps/admin/dist/index.html'))) {
    throw new Error('apps/admin/dist is missing: run `npm run build` (npm test builds before vitest)');
  }
  db = await createTestDatabase();
  server = await startServerProcess({
    env: { DATABASE_URL: db.ownerUrl, SECRET_KEY: TEST_SECRET_KEY, WORKERS: '0' },
  });
  profileDir = await mkdtemp(join(tmpdir(), 'weft-admin-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  browser.setDefaultTimeout(10_000);
  // The console runs under the server's Content-Security-Policy: anything it blocks is a bug.
  browser.on('page', (page) =>
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    }),
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await db?.drop();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

async function graphql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.data === undefined) throw new Error(`GraphQL failed: ${JSON.stringify(body)}`);
  return body.data;
}

async function logIn(page: Page, email: string): Promise<void> {
  await page.goto(`${server.url}/admin/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { name: 'Your workspaces' }).waitFor();
}

/** The rows of a table (by its aria-label) as arrays of cell texts. */
async function rows(page: Page, table: string): Promise<string[][]> {
  return page
    .getByRole('table', { name: table, exact: true })
    .locator('tbody > tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll(':scope > td')].map((td) => td.textContent ?? '')));
}

describe('admin console in a real browser', () => {
  it('an admin manages members and sees the audit log; a member runs plans, controls runs and approves, without member management', async () => {
    const alice = 'alice@example.com';
    const bob = 'bob@example.com';
    const carol = 'carol@example.com';

    // Alice signs up in the console.
    const page = await browser.newPage();
    await page.goto(`${server.url}/admin/`);
    await page.getByRole('button', { name: 'No account yet? Sign up' }).click();
    await page.getByLabel('Name').fill('Alice');
    await page.getByLabel('Email').fill(alice);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    // The API's userErrors are shown right under the field they name.
    await expect.poll(() => page.locator('label:has-text("Password") + .field-error').textContent()).toMatch(/\w/);
    expect(await page.locator('p.error').count()).toBe(0);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await page.getByRole('heading', { name: 'Your workspaces' }).waitFor();
    await expect.poll(() => page.locator('header').textContent()).toContain(alice);

    // She creates a workspace and becomes its admin.
    await page.getByLabel('Slug').fill('acme');
    await page.getByLabel('Name').fill('Acme Inc');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await expect.poll(() => rows(page, 'Workspaces')).toEqual([['Acme Inc', 'acme', 'ADMIN']]);

    // Bob and Carol sign up through the API.
    for (const [email, name] of [
      [bob, 'Bob'],
      [carol, 'Carol'],
    ]) {
      await graphql('mutation($input: SignUpInput!) { signUp(input: $input) { token userErrors { code } } }', {
        input: { email, password: PASSWORD, name },
      });
    }

    // A workspace opens on its runs; every section has its own URL.
    await page.getByRole('link', { name: 'Acme Inc' }).click();
    await page.getByRole('heading', { name: 'Acme Inc' }).waitFor();
    expect(await page.locator('.role').textContent()).toBe('your role: ADMIN');
    expect(new URL(page.url()).pathname).toBe('/admin/w/acme/runs');
    await page.getByText('No runs yet.').waitFor();
    await page.getByRole('link', { name: 'Members' }).click();

    // An address the API refuses (the browser's own check lets it through) shows the API's message,
    // and nothing is added. (An unknown but valid address would be invited: see security tests.)
    await page.getByLabel('Email').fill('nobody@localhost');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('Enter a valid email address').waitFor();
    expect((await rows(page, 'Members')).map((r) => r[0])).toEqual([`${alice} (you)`]);

    // Add Bob as a viewer, then make him a member.
    await page.getByLabel('Email').fill(bob);
    await page.getByLabel("New member's role").selectOption('VIEWER');
    await page.getByRole('button', { name: 'Add member' }).click();
    const bobRole = page.getByLabel(`Role of ${bob}`);
    await expect.poll(() => bobRole.inputValue()).toBe('VIEWER');
    await bobRole.selectOption('MEMBER');
    // The change is saved through the API, and the select shows the role the API now has.
    const token = await page.evaluate(() => window.localStorage.getItem('weft.token') ?? '');
    const roles = () =>
      graphql<{ workspace: { members: { edges: { node: { role: string } }[] } } }>(
        'query { workspace(slug: "acme") { members { edges { node { role } } } } }',
        {},
        token,
      ).then((d) => d.workspace.members.edges.map((e) => e.node.role).sort());
    await expect.poll(roles).toEqual(['ADMIN', 'MEMBER']);
    await expect.poll(() => bobRole.inputValue()).toBe('MEMBER');
    expect(await page.getByRole('alert').count()).toBe(0);

    // Carol is added, then removed after the confirmation.
    await page.getByLabel('Email').fill(carol);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByLabel(`Role of ${carol}`).waitFor();
    await page.getByRole('button', { name: `Remove ${carol}` }).click();
    await page.getByRole('button', { name: 'Yes, remove' }).click();
    await expect.poll(async () => (await rows(page, 'Members')).length).toBe(2);

    // The audit log reads who did what to whom, newest first, with the details a click away.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect
      .poll(async () => (await rows(page, 'Audit log')).map((r) => r[1]))
      .toEqual([
        'Alice removed Carol (VIEWER) from the workspace',
        'Alice added Carol as VIEWER (no longer a member)',
        'Alice changed Bob’s role from VIEWER to MEMBER',
        'Alice added Bob as VIEWER',
        'Alice created the workspace',
      ]);
    const details = page.getByRole('table', { name: 'Audit log' }).locator('tbody > tr').nth(2);
    await details.getByRole('button', { name: /^Details of member.changeRole/ }).click();
    await expect.poll(() => details.locator('.details').textContent()).toContain('"role": "MEMBER"');

    // Plans and their versions (made through the API) show in the console.
    const workspaceId = await graphql<{ workspace: { id: string } }>(
      'query { workspace(slug: "acme") { id } }',
      {},
      token,
    );
    const created = await graphql<{ createPlan: { plan: { id: string } } }>(
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { code } } }',
      {
        input: {
          workspaceId: workspaceId.workspace.id,
          name: 'Greeter',
          message: 'first',
          spec: { steps: [{ id: 'hello', tool: 'core.echo', input: { text: 'hi' } }] },
        },
      },
      token,
    );
    await graphql(
      'mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { version { number } userErrors { code } } }',
      {
        input: {
          planId: created.createPlan.plan.id,
          message: 'add a step',
          spec: {
            steps: [
              { id: 'hello', tool: 'core.echo', input: { text: 'hi' } },
              { id: 'bye', tool: 'core.echo', input: { text: 'bye' }, after: ['hello'] },
            ],
          },
        },
      },
      token,
    );
    await page.getByRole('link', { name: 'Plans' }).click();

    await expect.poll(() => rows(page, 'Plans').then((r) => r.map((c) => c[1]))).toEqual(['v2']);
    await page.getByRole('link', { name: 'Greeter', exact: true }).click();
    await expect
      .poll(async () => (await rows(page, 'Versions of Greeter')).map((r) => r.slice(0, 4)))
      .toEqual([
        ['v2', 'v1', 'add a step', alice],
        ['v1', '', 'first', alice],
      ]);

    // The opened plan is in the URL: a reload keeps it open.
    expect(new URL(page.url()).pathname).toMatch(/^\/admin\/w\/acme\/plans\/.+/);
    await page.reload();
    await page.getByRole('table', { name: 'Versions of Greeter' }).waitFor();
    // The latest version's steps, drawn as a graph.
    await expect.poll(() => page.locator('.step-node').allTextContents()).toEqual(['hellocore.echo', 'byecore.echo']);

    // A schedule: created with its cron and zone, shows its next run, pauses, and is deleted after
    // a confirmation.
    await page.getByRole('link', { name: 'Schedules' }).click();
    await page.getByLabel('Cron (5 fields, or 6 with seconds first)').fill('0 9 * * 1');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await expect
      .poll(async () => (await rows(page, 'Schedules')).map((r) => r.slice(0, 4)))
      .toEqual([['Greeter', '0 9 * * 1', 'Europe/Berlin', 'SKIP']]);
    expect((await rows(page, 'Schedules'))[0]?.[4]).not.toBe('paused');
    await page.getByRole('button', { name: 'Pause Greeter' }).click();
    await expect.poll(async () => (await rows(page, 'Schedules'))[0]?.[4]).toBe('paused');
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.getByRole('alert').filter({ hasText: 'IANA' }).waitFor();
    await page.getByRole('button', { name: 'Delete Greeter' }).click();
    await page.getByRole('dialog', { name: 'Delete Greeter?' }).getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByText('No schedules yet.').waitFor();

    // An event, sent from the console, is listed with who sent it.
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('button', { name: 'Send event' }).waitFor();
    await page.getByLabel('Name').fill('order.paid');
    await page.getByLabel('Data (JSON)').fill('{"orderId": 7}');
    await page.getByRole('button', { name: 'Send event' }).click();
    await expect
      .poll(async () => (await rows(page, 'Recent events')).map((r) => r.slice(0, 1).concat(r.slice(2, 4))))
      .toEqual([['order.paid', alice, '{"orderId":7}']]);

    // An API token is shown once, and it works.
    await page.getByRole('link', { name: 'API tokens' }).click();
    // The events page has a Name field too: fill the token's only once its page is in place.
    await page.getByRole('heading', { name: 'New API token' }).waitFor();
    await page.getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    const apiToken = (await page.locator('code.secret').textContent()) ?? '';
    const asToken = await graphql<{ viewer: { email: string } }>('query { viewer { email } }', {}, apiToken);
    expect(asToken.viewer.email).toBe(alice);
    // It is listed with its dates, never its secret.
    const apiTokens = async () => (await rows(page, 'Your tokens')).filter((r) => r[1] === 'API token');
    await expect.poll(async () => (await apiTokens()).map((r) => r[0])).toEqual(['ci']);
    expect(await page.getByRole('table', { name: 'Your tokens' }).textContent()).not.toContain(apiToken);
    await page
      .locator('.card', { has: page.locator('code.secret') })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await expect.poll(() => page.locator('code.secret').count()).toBe(0);
    await expect.poll(apiTokens).toEqual([]);
    const revoked = await graphql<{ viewer: unknown }>('query { viewer { email } }', {}, apiToken);
    expect(revoked.viewer).toBeNull();

    // Logging out revokes the session token, not just forgets it.
    const aliceToken = await page.evaluate(() => window.localStorage.getItem('weft.token') ?? '');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    const after = await graphql<{ viewer: unknown }>('query { viewer { id } }', {}, aliceToken);
    expect(after.viewer).toBeNull();

    // Bob, in a fresh page, sees the workspace as a member, without member management.
    const bobPage = await browser.newPage();
    await logIn(bobPage, bob);
    await expect.poll(() => rows(bobPage, 'Workspaces')).toEqual([['Acme Inc', 'acme', 'MEMBER']]);
    await bobPage.getByRole('link', { name: 'Acme Inc' }).click();
    await bobPage.getByRole('heading', { name: 'Acme Inc' }).waitFor();
    expect(await bobPage.locator('.role').textContent()).toBe('your role: MEMBER');
    await bobPage.getByRole('link', { name: 'Members' }).click();
    // The page loads its members after the click: wait for them rather than read an empty table.
    await expect
      .poll(async () => (await rows(bobPage, 'Members')).map((r) => r.slice(0, 3)).sort())
      .toEqual([
        [alice, 'Alice', 'ADMIN'],
        [`${bob} (you)`, 'Bob', 'MEMBER'],
      ]);
    // Member management is in view but disabled for him, with the reason written beside it.
    expect(await bobPage.getByRole('table', { name: 'Members' }).locator('select').count()).toBe(0);
    const managing = bobPage.getByRole('button', { name: /Remove|Add member/ });
    expect(await managing.count()).toBe(3);
    for (const button of await managing.all()) expect(await button.isDisabled()).toBe(true);
    expect(await bobPage.getByLabel('Email').isDisabled()).toBe(true);
    // The audit log stays in the navigation, marked as admins' (its page says so too: a11y.test.ts).
    expect(await bobPage.getByRole('link', { name: 'Audit log (admins only)' }).count()).toBe(1);
    await bobPage.getByText('Only admins can add members or change roles.').waitFor();

    // Bob runs plans from the Plans page (this server has no workers, so runs stay where he puts
    // them), cancels one from its run page (after confirming) and approves the other's gate.
    const bobToken = await bobPage.evaluate(() => window.localStorage.getItem('weft.token') ?? '');
    await graphql(
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { code } } }',
      {
        input: {
          workspaceId: workspaceId.workspace.id,
          name: 'Gate',
          spec: {
            steps: [
              { id: 'ok', type: 'approval', message: 'Go on?' },
              { id: 'hello', tool: 'core.echo', input: {}, after: ['ok'] },
            ],
          },
        },
      },
      bobToken,
    );
    await bobPage.getByRole('link', { name: 'Plans' }).click();
    await bobPage.getByRole('button', { name: 'Run Greeter', exact: true }).click();
    await expect.poll(() => bobPage.getByRole('status').textContent()).toBe('Started a run of Greeter (RUNNING).');
    await bobPage.getByRole('button', { name: 'Run Gate', exact: true }).click();
    await expect
      .poll(() => bobPage.getByRole('status').textContent())
      .toBe('Started a run of Gate (WAITING_APPROVAL).');
    await bobPage.getByRole('link', { name: 'Runs' }).click();
    const runRow = (plan: string) =>
      bobPage.getByRole('table', { name: 'Runs', exact: true }).locator('tbody > tr', { hasText: plan });
    const statusOf = (plan: string) => runRow(plan).locator('.status').textContent();
    await expect.poll(() => statusOf('Greeter')).toBe('RUNNING');
    // One chip per step, with its status: the gate waits, the step after it is not ready yet.
    await expect
      .poll(() => runRow('Gate').locator('.chip').allTextContents())
      .toEqual(['ok · WAITING_APPROVAL', 'hello · PENDING']);
    await runRow('Greeter').click();
    await bobPage.getByRole('heading', { name: 'Run of Greeter v2' }).waitFor();
    const runStatus = () => bobPage.locator('.run-status .status').textContent();
    // Cancelling asks first; keeping the run changes nothing.
    await bobPage.getByRole('button', { name: 'Cancel', exact: true }).click();
    await bobPage.getByRole('button', { name: 'Keep it' }).click();
    expect(await runStatus()).toBe('RUNNING');
    await bobPage.getByRole('button', { name: 'Cancel', exact: true }).click();
    await bobPage.getByRole('button', { name: 'Yes, cancel' }).click();
    await expect.poll(runStatus).toBe('CANCELLED');
    // A cancelled run is final: rolling back (or a new run) is all that is left.
    await expect
      .poll(() => bobPage.getByRole('group', { name: 'Run controls' }).getByRole('button').allTextContents())
      .toEqual(['Roll back', 'Re-run']);
    await bobPage.getByRole('link', { name: 'Approvals' }).click();
    await bobPage.getByLabel('Comment on ok').fill('looks good');
    await bobPage.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => bobPage.getByRole('list', { name: 'Pending approvals' }).count()).toBe(0);
    await bobPage.getByRole('link', { name: 'Runs' }).click();
    await expect.poll(() => statusOf('Gate')).toBe('RUNNING');
    expect(cspViolations).toEqual([]);
  });
});
