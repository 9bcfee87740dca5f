import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, launchConsoleBrowser, SHOTS } from './console-browser.ts';
import { PASSWORD, RUN_STATUS, type RunFixture, startRunFixture } from './run-fixture.ts';

// A new user's whole first session, entirely in the built console on a real API whose workers run
// the runs, in Debian's Chromium: sign up, a workspace, an invitation, a plugin from the
// marketplace, a plan drafted from words with an approval gate, runs (one approved, one failing and
// re-run from its failed step with a corrected input), and the audit log telling it back.
// The API is called only to read back what the console claims happened.

const EMAIL = 'nora@example.com';
const TEAMMATE = 'omar@example.com';
const PLAN = 'Slugger';
/** Words the deterministic planner turns into transform.text → approval gate → core.echo. */
const REQUEST = 'make a slug of the text, get approval, then echo it';

let f: RunFixture;
let chrome: ConsoleBrowser;

interface StepFact {
  stepId: string;
  status: string;
  input: unknown;
  output: unknown;
  errorDetail: { code: string; message: string } | null;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `journey-${name}.png`), fullPage: true });

/** The run the console shows, from its URL. */
const runIdOf = (page: Page) => decodeURIComponent(new URL(page.url()).pathname.split('/runs/')[1] ?? '');

/** The table's rows as arrays of cell texts. */
const rows = (page: Page, table: string) =>
  page
    .getByRole('table', { name: table, exact: true })
    .locator('tbody > tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll(':scope > td')].map((td) => td.textContent ?? '')));

beforeAll(async () => {
  // The fixture's API runs the runs; its own users and workspace are not Nora's and never in her view.
  f = await startRunFixture();
  chrome = await launchConsoleBrowser();
}, 60_000);

afterAll(async () => {
  await chrome?.close();
  await f?.stop();
});

describe('a new user’s first session in the console', () => {
  it('signs up, sets up a workspace, drafts a gated plan from words, runs, approves, repairs a failed run, and reads it all in the audit log', async () => {
    const page = await chrome.context.newPage();
    const steps = async (runId: string, token: string) =>
      (
        await f.graphql<{ node: { status: string; steps: StepFact[] } }>(
          'query($id: ID!) { node(id: $id) { ... on Execution { status steps { stepId status input output errorDetail { code message } } } } }',
          { id: runId },
          token,
        )
      ).node;
    const node = (step: string) => page.locator(`.step-node[data-step="${step}"]`);

    // Sign up and create a workspace.
    await page.goto(`${f.server.url}/admin/`);
    await page.getByRole('button', { name: 'No account yet? Sign up' }).click();
    await page.getByLabel('Name').fill('Nora');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await page.getByRole('heading', { name: 'Your workspaces' }).waitFor();
    // The session the console keeps: the only way this test reads facts back as Nora.
    const nora = (await page.evaluate(() => window.localStorage.getItem('weft.token'))) ?? '';
    expect(nora).not.toBe('');
    await page.getByLabel('Slug').fill('studio');
    await page.getByLabel('Name').fill('Nora’s Studio');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await expect.poll(() => rows(page, 'Workspaces')).toEqual([['Nora’s Studio', 'studio', 'ADMIN']]);
    await shot(page, '01-workspace');
    await page.getByRole('link', { name: 'Nora’s Studio' }).click();
    await page.getByText('No runs yet.').waitFor();

    // Invite a teammate who has no account yet.
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Email').fill(TEAMMATE);
    await page.getByLabel("New member's role").selectOption('MEMBER');
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect
      .poll(async () => (await rows(page, 'Members')).find((r) => r[0] === TEAMMATE)?.[3])
      .toBe('invited, has not signed up');
    await shot(page, '02-invited');

    // Install the first-party transform plugin: it asks for no capability, so there is nothing to grant.
    await page.getByRole('link', { name: 'Marketplace' }).click();
    const card = page.locator('.plugin-card[data-plugin="transform"]');
    await card.getByRole('link', { name: 'transform' }).click();
    await page.getByText('This version asks for no capability.').waitFor();
    const install = page.getByRole('button', { name: /^Install \d/ });
    const version = ((await install.textContent()) ?? '').replace('Install ', '');
    await install.click();
    await page.getByText(`Installed transform ${version}.`).waitFor();
    await shot(page, '03-installed');
    const installed = await f.graphql<{
      workspace: { installedPlugins: { grantedCapabilities: string[]; pluginVersion: { plugin: { name: string } } }[] };
    }>(
      'query { workspace(slug: "studio") { installedPlugins { grantedCapabilities pluginVersion { plugin { name } } } } }',
      {},
      nora,
    );
    expect(installed.workspace.installedPlugins).toEqual([
      { grantedCapabilities: [], pluginVersion: { plugin: { name: 'transform' } } },
    ]);

    // Describe it: the planner drafts over the plugin's tool, with an approval gate before the echo.
    await page.getByRole('link', { name: 'Plans', exact: true }).click();
    await page.getByRole('link', { name: 'New plan' }).click();
    await page.getByRole('textbox', { name: 'Describe it' }).fill(REQUEST);
    await page.getByRole('button', { name: 'Draft the plan' }).click();
    await expect.poll(() => page.locator('.step-node').count()).toBe(3);
    const drafted = await page
      .locator('.step-node')
      .evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-step'), n.querySelector('small')?.textContent]));
    expect(drafted).toEqual([
      ['text', 'transform.text'],
      ['approval', expect.anything()],
      ['echo', 'core.echo'],
    ]);
    await shot(page, '04-described');
    await page.getByLabel('Name').fill(PLAN);
    await page.getByLabel('Version message').fill('drafted from words');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByRole('heading', { name: PLAN }).waitFor();
    const planUrl = page.url();

    // Run it with an input from the run form: the text step turns green, the gate waits.
    const runWith = async (op: string) => {
      await page.goto(planUrl);
      await page.getByRole('tab', { name: 'Run' }).click();
      await page.getByLabel('input.op').fill(op);
      await page.getByRole('button', { name: 'Run v1' }).click();
      await page.getByRole('heading', { name: `Run of ${PLAN} v1` }).waitFor();
      return runIdOf(page);
    };
    const good = await runWith('slug');
    await expect.poll(() => node('text').getAttribute('data-status'), { timeout: 20_000 }).toBe('SUCCEEDED');
    await expect.poll(() => node('approval').getAttribute('data-status')).toBe('WAITING_APPROVAL');
    expect(await node('echo').getAttribute('data-status')).not.toBe('SUCCEEDED');
    await shot(page, '05-waiting');

    // Approve the gate from the inbox with a comment; back on the run, every step is green.
    await page.getByRole('link', { name: 'Approvals' }).click();
    const pending = page.locator('li.approval[data-status="PENDING"]');
    await expect.poll(() => pending.count()).toBe(1);
    expect(await pending.locator('.message').textContent()).toBe('Get approval');
    await pending.getByLabel('Comment on approval').fill('slug looks right');
    await shot(page, '06-inbox');
    await pending.getByRole('button', { name: 'Approve' }).click();
    const decided = page.getByRole('list', { name: 'Decided approvals' }).locator('li');
    await expect
      .poll(() => decided.first().locator('.decision').textContent())
      .toBe('Approved by Nora: “slug looks right”');
    await decided.first().locator('a.run-link').click();
    await page.getByRole('heading', { name: `Run of ${PLAN} v1` }).waitFor();
    expect(runIdOf(page)).toBe(good);
    await expect.poll(() => node('echo').getAttribute('data-status'), { timeout: 20_000 }).toBe('SUCCEEDED');
    expect(await page.locator('.step-node[data-status="SUCCEEDED"]').count()).toBe(3);
    await shot(page, '07-succeeded');
    const goodRun = await steps(good, nora);
    expect(goodRun.status).toBe('SUCCEEDED');
    expect(goodRun.steps.find((s) => s.stepId === 'echo')?.output).toEqual({
      message: 'make-a-slug-of-the-text',
    });

    // A run whose input the tool refuses: its failed attempt's error is in the step panel.
    const bad = await runWith('shout');
    await expect.poll(() => node('text').getAttribute('data-status'), { timeout: 20_000 }).toBe('FAILED');
    await expect.poll(async () => (await steps(bad, nora)).status, { timeout: 20_000 }).toBe('FAILED');
    const failure = (await steps(bad, nora)).steps.find((s) => s.stepId === 'text')?.errorDetail;
    expect(failure?.message).toMatch(/\w/);
    await node('text').click();
    const panel = page.locator('.step-panel');
    await panel.getByRole('heading', { name: 'Step text' }).waitFor();
    await expect
      .poll(() => panel.locator('section[aria-label="Attempt 1"] .attempt-error').textContent())
      .toContain(failure?.message ?? '');
    // Nothing after the failed step ran: the gate never asked anyone.
    expect([
      await node('approval').getAttribute('data-status'),
      await node('echo').getAttribute('data-status'),
    ]).toEqual(['PENDING', 'PENDING']);
    await shot(page, '08-failed');

    // Re-run from the failed step with a corrected input: a new run, its text step upper-cases.
    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.getByRole('textbox', { name: 'Input' }).fill('{ "op": "upper" }');
    await page.getByRole('textbox', { name: 'From step' }).click();
    await page.getByRole('option', { name: 'text' }).click();
    await page.getByRole('button', { name: 'Start the new run' }).click();
    await expect.poll(() => runIdOf(page)).not.toBe(bad);
    const repaired = runIdOf(page);
    await expect.poll(() => node('text').getAttribute('data-status'), { timeout: 20_000 }).toBe('SUCCEEDED');
    await expect.poll(() => node('approval').getAttribute('data-status')).toBe('WAITING_APPROVAL');
    await shot(page, '09-rerun');
    const rerun = await f.graphql<{ node: { input: unknown } }>(RUN_STATUS, { id: repaired }, nora);
    expect(rerun.node.input).toEqual({ op: 'upper' });
    expect((await steps(repaired, nora)).steps.find((s) => s.stepId === 'text')?.output).toEqual({
      result: 'MAKE A SLUG OF THE TEXT',
    });

    // The audit log tells the session back in sentences, with names rather than ids.
    await page.getByRole('link', { name: 'Audit log' }).click();
    const sentences = async () => (await rows(page, 'Audit log')).map((r) => r[1] ?? '');
    // Newest first: exactly what Nora did, nothing more.
    await expect
      .poll(sentences)
      .toEqual([
        `Nora re-ran from an earlier run as the run of ${PLAN}`,
        `Nora started the run of ${PLAN}`,
        `Nora approved step “approval” of the run of ${PLAN}: “slug looks right”`,
        `Nora started the run of ${PLAN}`,
        `Nora created the plan ${PLAN}`,
        `Nora installed the plugin transform ${version}`,
        `Nora added ${TEAMMATE} as MEMBER`,
        'Nora created the workspace',
      ]);
    // The runs are named by their plan and linked, never shown as ids.
    const runLinks = await page
      .getByRole('table', { name: 'Audit log' })
      .getByRole('link', { name: `run of ${PLAN}` })
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    const runPath = (id: string) => `/admin/w/studio/runs/${encodeURIComponent(id)}`;
    expect(runLinks).toEqual([runPath(repaired), runPath(bad), runPath(good), runPath(good)]);
    await shot(page, '10-audit');
    expect(chrome.cspViolations).toEqual([]);
  }, 120_000);
});
