import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '@weft/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchConsoleBrowser } from './console-browser.ts';
import { PASSWORD, type RunFixture, startRunFixture } from './run-fixture.ts';

// People in the built console, on a real API with workers, in Debian's Chromium: an invitation
// completed by sign-up, tokens listed and revoked (an admin revoking a member's), the approvals
// inbox telling a dry run from a live run of the same gate, and the audit log read as sentences
// and filtered. The API underneath: test/e2e/graphql/people.test.ts.
const SHOTS = join(REPO_ROOT, 'test/e2e/screenshots');
const DANA = 'dana@example.com';

let f: RunFixture;
let b: ConsoleBrowser;
/** Dana's own browser: a browser keeps one session (localStorage) for all its pages. */
let danaBrowser: ConsoleBrowser;

async function openAs(page: Page, token: string, path: string): Promise<void> {
  await page.goto(`${f.server.url}/admin/`);
  await page.evaluate((t) => window.localStorage.setItem('weft.token', t), token);
  await page.goto(`${f.server.url}/admin${path}`);
}

/** The rows of a table (by its aria-label) as arrays of cell texts. */
async function rows(page: Page, table: string): Promise<string[][]> {
  return page
    .getByRole('table', { name: table, exact: true })
    .locator('tbody > tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll(':scope > td')].map((td) => td.textContent ?? '')));
}

const viewerWorks = async (token: string) =>
  (await f.graphql<{ viewer: { email: string } | null }>('query { viewer { email } }', {}, token).catch(() => null))
    ?.viewer != null;

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'apps/admin/dist/index.html'))) {
    throw new Error('apps/admin/dist is missing: run `npm run build` (npm test builds before vitest)');
  }
  await mkdir(SHOTS, { recursive: true });
  f = await startRunFixture();
  b = await launchConsoleBrowser();
  danaBrowser = await launchConsoleBrowser();
}, 60_000);

afterAll(async () => {
  await b?.close();
  await danaBrowser?.close();
  await f?.stop();
});

describe('people in the console', () => {
  it('an invited address signs up and is a member; tokens are listed and an admin revokes a member’s', async () => {
    const page = await b.context.newPage();
    await openAs(page, f.alice, '/w/acme/members');
    await page.getByLabel('Email').fill(DANA);
    await page.getByLabel("New member's role").selectOption('MEMBER');
    await page.getByRole('button', { name: 'Add member' }).click();
    const danaRow = async () => (await rows(page, 'Members')).find((r) => r[0] === DANA);
    await expect.poll(async () => (await danaRow())?.[3]).toBe('invited, has not signed up');
    expect(await page.getByLabel(`Role of ${DANA}`).inputValue()).toBe('MEMBER');
    await page.screenshot({ path: join(SHOTS, 'members-invited.png'), fullPage: true });

    // Dana signs up in the console with the invited address and finds the workspace waiting.
    const danaPage = await danaBrowser.context.newPage();
    await danaPage.goto(`${f.server.url}/admin/`);
    await danaPage.getByRole('button', { name: 'No account yet? Sign up' }).click();
    await danaPage.getByLabel('Name').fill('Dana');
    await danaPage.getByLabel('Email').fill(DANA);
    await danaPage.getByLabel('Password').fill(PASSWORD);
    await danaPage.getByRole('button', { name: 'Sign up', exact: true }).click();
    await expect.poll(() => rows(danaPage, 'Workspaces')).toEqual([['Acme', 'acme', 'MEMBER']]);
    await page.reload();
    await expect.poll(async () => [(await danaRow())?.[1], (await danaRow())?.[3]]).toEqual(['Dana', 'active']);
    expect(await page.getByLabel(`Role of ${DANA}`).inputValue()).toBe('MEMBER');
    await page.screenshot({ path: join(SHOTS, 'members-joined.png'), fullPage: true });

    // Dana makes an API token: it is listed as hers, with its kind; she sees no one else's.
    await danaPage.getByRole('link', { name: 'Acme' }).click();
    await danaPage.getByRole('link', { name: 'API tokens' }).click();
    await danaPage.getByLabel('Name').fill('dana-ci');
    await danaPage.getByRole('button', { name: 'Create token' }).click();
    const danaToken = (await danaPage.locator('code.secret').textContent()) ?? '';
    expect(await viewerWorks(danaToken)).toBe(true);
    await expect
      .poll(async () => (await rows(danaPage, 'Your tokens')).map((r) => r.slice(0, 3)))
      .toEqual(
        expect.arrayContaining([
          ['dana-ci', 'API token', 'Acme'],
          ['sign-in session', 'session', 'all of yours'],
        ]),
      );
    expect(await danaPage.getByRole('table', { name: 'Workspace API tokens' }).count()).toBe(0);
    await danaPage.getByText("Only admins see and revoke other members' API tokens.").waitFor();
    await danaPage.screenshot({ path: join(SHOTS, 'tokens-member.png'), fullPage: true });

    // Alice, an admin, sees Dana's token with its owner and revokes it after confirming.
    await page.getByRole('link', { name: 'API tokens' }).click();
    await expect
      .poll(async () => (await rows(page, 'Workspace API tokens')).map((r) => r.slice(0, 2)))
      .toEqual([['dana-ci', `Dana (${DANA})`]]);
    await page.screenshot({ path: join(SHOTS, 'tokens-admin.png'), fullPage: true });
    await page.getByRole('button', { name: `Revoke ${DANA}'s token dana-ci` }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => rows(page, 'Workspace API tokens')).toEqual([]);
    expect(await viewerWorks(danaToken)).toBe(false);
    await danaPage.reload();
    await expect
      .poll(async () => (await rows(danaPage, 'Your tokens')).filter((r) => r[1] === 'API token'))
      .toEqual([]);
  });

  it('a dry run and a live run of one gate are told apart, link to their runs, and one is approved with a comment', async () => {
    const live = await f.start(f.gatePlanId, { order: 1 });
    const dry = (
      await f.graphql<{ startExecution: { execution: { id: string } } }>(
        'mutation($input: StartExecutionInput!) { startExecution(input: $input) { execution { id } } }',
        { input: { planId: f.gatePlanId, input: { order: 2 }, mode: 'DRY_RUN' } },
        f.alice,
      )
    ).startExecution.execution.id;
    const page = await b.context.newPage();
    await openAs(page, f.alice, '/w/acme/approvals');
    const pending = page.getByRole('list', { name: 'Pending approvals' }).locator('li');
    await expect.poll(() => pending.count()).toBe(2);
    const card = (mode: string) => page.locator(`li.approval[data-mode="${mode}"][data-status="PENDING"]`);
    // Each card names its mode, plan, version, step, who started it, and the gate's message.
    expect(await card('LIVE').locator('.mode').textContent()).toBe('live');
    expect(await card('DRY_RUN').locator('.mode').textContent()).toBe('dry run');
    for (const mode of ['LIVE', 'DRY_RUN']) {
      expect(await card(mode).textContent()).toContain('Gate v1 · step “ok”');
      expect(await card(mode).locator('.started-by').textContent()).toContain('Run started by alice');
      expect(await card(mode).locator('.message').textContent()).toBe('Go on?');
    }
    const href = (id: string) => `/admin/w/acme/runs/${encodeURIComponent(id)}`;
    expect(await card('LIVE').locator('a.run-link').getAttribute('href')).toBe(href(live));
    expect(await card('DRY_RUN').locator('a.run-link').getAttribute('href')).toBe(href(dry));
    await page.screenshot({ path: join(SHOTS, 'approvals-inbox.png'), fullPage: true });

    // Bob, a viewer, sees the same gates with the buttons disabled and the reason beside them.
    const bobPage = await b.context.newPage();
    await openAs(bobPage, f.bob, '/w/acme/approvals');
    const bobLive = bobPage.locator('li.approval[data-mode="LIVE"]');
    await bobLive.getByRole('button', { name: 'Approve' }).waitFor();
    expect(await bobLive.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await bobLive.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    expect(await bobLive.locator('.hint').textContent()).toBe(
      'Only ADMIN or MEMBER may decide this gate; your role is VIEWER.',
    );
    await bobPage.screenshot({ path: join(SHOTS, 'approvals-viewer.png'), fullPage: true });

    // Alice approves the live one with a comment; the dry run's gate still waits.
    await card('LIVE').getByLabel('Comment on ok').fill('ship it');
    await card('LIVE').getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => pending.count()).toBe(1);
    expect(await pending.first().getAttribute('data-mode')).toBe('DRY_RUN');
    const decided = page.getByRole('list', { name: 'Decided approvals' }).locator('li');
    await expect.poll(() => decided.first().locator('.decision').textContent()).toBe('Approved by alice: “ship it”');
    const approvals = await f.graphql<{ node: { approvals: { status: string; comment: string | null }[] } }>(
      'query($id: ID!) { node(id: $id) { ... on Execution { approvals { status comment } } } }',
      { id: live },
      f.alice,
    );
    expect(approvals.node.approvals).toEqual([{ status: 'APPROVED', comment: 'ship it' }]);
    expect(await f.statusOf(dry)).toBe('WAITING_APPROVAL');
    await page.screenshot({ path: join(SHOTS, 'approvals-decided.png'), fullPage: true });
  });

  it('the audit log reads as sentences with links and filters by actor and action', async () => {
    const page = await b.context.newPage();
    await openAs(page, f.alice, '/w/acme/audit');
    const sentences = async () => (await rows(page, 'Audit log')).map((r) => r[1]);
    await expect
      .poll(sentences)
      .toEqual(
        expect.arrayContaining([
          'alice approved step “ok” of the run of Gate: “ship it”',
          `alice revoked ${DANA}’s API token “dana-ci”`,
          'Dana created the API token “dana-ci” (no longer exists)',
          'alice added Dana as MEMBER',
          'alice added bob as VIEWER',
          'alice created the workspace',
        ]),
      );
    // No row shows a raw id.
    expect((await sentences()).join('\n')).not.toMatch(/[A-Za-z0-9_-]{40,}/);
    await page.screenshot({ path: join(SHOTS, 'audit-log.png'), fullPage: true });

    // By action: only the decision, whose run is a link to it.
    await page.getByLabel('Action').selectOption('approval.decide');
    await expect.poll(sentences).toEqual(['alice approved step “ok” of the run of Gate: “ship it”']);
    const link = page.getByRole('table', { name: 'Audit log' }).getByRole('link', { name: 'run of Gate' });
    expect(await link.getAttribute('href')).toMatch(/^\/admin\/w\/acme\/runs\//);
    // The filter is in the URL, so the filtered view can be shared.
    expect(new URL(page.url()).searchParams.get('action')).toBe('approval.decide');

    // By actor: Dana's one action.
    await page.getByLabel('Action').selectOption('');
    await page.getByLabel('Who').selectOption({ label: DANA });
    await expect.poll(sentences).toEqual(['Dana created the API token “dana-ci” (no longer exists)']);
    await page.screenshot({ path: join(SHOTS, 'audit-filtered.png'), fullPage: true });

    // The details of a row open on request.
    const row = page.getByRole('table', { name: 'Audit log' }).locator('tbody > tr').first();
    await row.getByRole('button', { name: /^Details of apiToken.create/ }).click();
    await expect.poll(() => row.locator('.details').textContent()).toContain('"action": "apiToken.create"');

    // Following the decision's link opens that run.
    await page.getByLabel('Who').selectOption('');
    await page.getByLabel('Action').selectOption('approval.decide');
    await expect.poll(sentences).toEqual(['alice approved step “ok” of the run of Gate: “ship it”']);
    await page.getByRole('table', { name: 'Audit log' }).getByRole('link', { name: 'run of Gate' }).click();
    await page.getByRole('heading', { name: 'Run of Gate v1' }).waitFor();
    expect([...b.cspViolations, ...danaBrowser.cspViolations]).toEqual([]);
  });
});
