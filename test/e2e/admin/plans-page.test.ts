import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@weft/test-utils';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_STATUS, type RunFixture, startRunFixture } from './run-fixture.ts';

// The Plans pages of the built console on a real API with in-process workers and the
// deterministic planner (no OPENAI_API_KEY), driven in Debian's Chromium: describe a plan in
// words, save it, break it and see the server's error on its line, fix it, compare the two
// versions, and run it with an input from the generated form.
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'test/e2e/screenshots');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

let f: RunFixture;
let profileDir: string;
let browser: BrowserContext;
const consoleProblems: string[] = [];

interface Step {
  id: string;
  tool?: string;
  input?: Record<string, unknown>;
  after?: string[];
}
interface ToolStats {
  name: string;
  stats: { calls: number } | null;
}

async function openAs(page: Page, token: string, path: string): Promise<void> {
  await page.goto(`${f.server.url}/admin/`);
  await page.evaluate((t) => window.localStorage.setItem('weft.token', t), token);
  await page.goto(`${f.server.url}/admin${path}`);
}

/** Replaces the CodeMirror document the way a user pasting does (no bracket auto-closing). */
async function replaceSpec(page: Page, spec: unknown): Promise<void> {
  const editor = page.getByRole('textbox', { name: 'Plan spec (JSON)' });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(JSON.stringify(spec, null, 2));
}

/** Screenshots at desktop and phone width; at 390 px the page itself must not scroll sideways. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SHOTS, `plans-${name}-1280.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  await page.screenshot({ path: join(SHOTS, `plans-${name}-390.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

const toolCalls = async (): Promise<Map<string, number>> => {
  const data = await f.graphql<{ workspace: { tools: ToolStats[] } }>(
    'query { workspace(slug: "acme") { tools { name stats { calls } } } }',
    {},
    f.alice,
  );
  return new Map(data.workspace.tools.map((t) => [t.name, t.stats?.calls ?? 0]));
};

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'apps/admin/dist/index.html'))) {
    throw new Error('apps/admin/dist is missing: run `npm run build` (npm test builds before vitest)');
  }
  await mkdir(SHOTS, { recursive: true });
  f = await startRunFixture();
  profileDir = await mkdtemp(join(tmpdir(), 'weft-plans-page-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: DESKTOP,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  browser.setDefaultTimeout(15_000);
  // The editor's libraries must live within the console's Content-Security-Policy and not throw.
  browser.on('page', (page) => {
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) consoleProblems.push(message.text());
    });
    page.on('pageerror', (error) => consoleProblems.push(error.message));
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await f?.stop();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

describe('plans pages in a real browser', () => {
  it('describe → preview → save → bad tool shown on its line → fix → v2 → diff v1/v2 → run with input → run page', async () => {
    // A finished run first, so the tools the draft will use have statistics to show.
    const earlier = await f.start(f.flakyPlanId, { text: 'warm up' });
    await expect.poll(() => f.statusOf(earlier), { timeout: 30_000 }).toBe('SUCCEEDED');
    const calls = await toolCalls();
    expect(calls.get('core.echo')).toBeGreaterThan(0);

    const page = await browser.newPage();
    await openAs(page, f.alice, '/w/acme/plans');
    await page.getByRole('table', { name: 'Plans' }).getByRole('link', { name: 'Flaky' }).waitFor();
    await shoot(page, 'list');

    // Describe it: the deterministic planner drafts steps over the workspace's tools.
    await page.getByRole('link', { name: 'New plan' }).click();
    expect(new URL(page.url()).pathname).toBe('/admin/w/acme/plans/new');
    // The editor completes from the plan's JSON Schema (the engine's plan.schema.json).
    await page.getByRole('textbox', { name: 'Plan spec (JSON)' }).click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText('{\n  \n}');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('End');
    await page.keyboard.type('"');
    const completions = page.locator('.cm-tooltip-autocomplete li');
    await expect.poll(() => completions.allTextContents()).toContain('stepsarray');
    expect(await completions.allTextContents()).toContain('concurrencyinteger');
    await page.keyboard.press('Escape');
    // A request no tool matches: the planner's refusal shows under the box, nothing is drafted.
    const describeBox = page.getByRole('textbox', { name: 'Describe it' });
    await describeBox.fill('send an email to the customer');
    await page.getByRole('button', { name: 'Draft the plan' }).click();
    await expect.poll(() => page.locator('.mantine-Textarea-error').textContent()).toContain('could not match');
    expect(await page.locator('.draft-explanation').count()).toBe(0);
    // A rhythm and two things to do: steps, and a schedule suggestion.
    await describeBox.fill('every Monday at 9, set the context key region then wait 1 second');
    await page.getByRole('button', { name: 'Draft the plan' }).click();
    await expect.poll(() => page.locator('.draft-schedule').textContent()).toContain('0 9 * * 1');
    const notes = page.locator('.draft-explanation');
    await expect.poll(() => notes.textContent()).toContain('without an LLM');
    await expect.poll(() => page.locator('.step-node').count()).toBe(2);
    const drafted = await page.locator('.step-node').evaluateAll((nodes) =>
      nodes.map((n) => ({
        id: n.getAttribute('data-step') ?? '',
        tool: n.querySelector('small')?.textContent ?? '',
      })),
    );
    expect(drafted.map((s) => s.tool)).toEqual(['core.context.set', 'core.sleep']);
    // Each step's tool with what the workspace learnt about it: the same counts the API reports.
    const stepsTable = page.getByRole('table', { name: 'Steps and their tools' });
    for (const step of drafted) {
      await expect
        .poll(() => stepsTable.locator(`tr[data-step="${step.id}"] .tool-calls`).textContent())
        .toBe(String(calls.get(step.tool) ?? 0));
    }
    expect(calls.get('core.sleep')).toBeGreaterThan(0);
    // The planner's reasons about a step, beside that step: the words that chose its tool, and the
    // input it will read.
    const why = await stepsTable.locator(`tr[data-step="${drafted[0]?.id}"] .step-why`).textContent();
    expect(why).toMatch(/uses core\.context\.set: “[^”]+”.* matched it/);
    expect(why).toContain('reads input.value');
    await page.getByRole('textbox', { name: 'Plan spec (JSON)' }).scrollIntoViewIfNeeded();
    await shoot(page, 'describe');

    // Name it and save: version 1, and the plan's own page.
    await page.getByLabel('Name').fill('Greeting');
    await page.getByLabel('Version message').fill('drafted from words');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByRole('heading', { name: 'Greeting' }).waitFor();
    const planId = decodeURIComponent(new URL(page.url()).pathname.split('/plans/')[1] ?? '');
    // The plan page offers the suggested schedule; one click creates it for this plan.
    await page.getByRole('button', { name: 'Create this schedule' }).click();
    await page.getByRole('status').filter({ hasText: 'Schedule created.' }).waitFor();
    const schedules = await f.graphql<{ workspace: { schedules: { cron: string; plan: { id: string } }[] } }>(
      'query { workspace(slug: "acme") { schedules { cron plan { id } } } }',
      {},
      f.alice,
    );
    expect(schedules.workspace.schedules).toEqual([{ cron: '0 9 * * 1', plan: { id: planId } }]);
    const v1 = await f.graphql<{ node: { latestVersion: { number: number; spec: { steps: Step[] } } } }>(
      'query($id: ID!) { node(id: $id) { ... on Plan { latestVersion { number spec } } } }',
      { id: planId },
      f.alice,
    );
    expect(v1.node.latestVersion.number).toBe(1);
    expect(v1.node.latestVersion.spec.steps.map((s) => s.id)).toEqual(drafted.map((s) => s.id));
    await expect
      .poll(
        async () =>
          (await page.getByRole('table', { name: 'Versions of Greeting' }).locator('tbody > tr').allTextContents())
            .length,
      )
      .toBe(1);

    // Edit: a tool that does not exist. The server refuses; its error marks the line of that step's tool.
    const [first, second] = v1.node.latestVersion.spec.steps;
    if (first === undefined || second === undefined) throw new Error('the draft has two steps');
    await page.getByRole('tab', { name: 'Edit' }).click();
    await replaceSpec(page, { steps: [first, { ...second, tool: 'core.nope' }] });
    await page.getByRole('button', { name: 'Save as v2' }).click();
    const listed = page.locator('.spec-errors .spec-error');
    await expect.poll(() => listed.textContent()).toContain('no tool "core.nope"');
    const marked = page.locator('.cm-server-error');
    await expect.poll(() => marked.count()).toBe(1);
    expect(await marked.textContent()).toContain('"tool": "core.nope"');
    expect(await listed.getAttribute('data-line')).toBe(
      String(
        JSON.stringify({ steps: [first, { ...second, tool: 'core.nope' }] }, null, 2)
          .split('\n')
          .findIndex((l) => l.includes('core.nope')) + 1,
      ),
    );
    await shoot(page, 'editor-error');
    // Leaving with unsaved edits asks first; staying keeps them.
    await page.getByRole('link', { name: '← Plans' }).click();
    await page.getByRole('dialog', { name: 'Leave without saving?' }).waitFor();
    await page.getByRole('button', { name: 'Stay' }).click();
    expect(new URL(page.url()).pathname).toContain('/plans/');
    expect(await page.locator('.cm-content').textContent()).toContain('core.nope');

    // Fix it, shorten the wait and greet whoever the input names in a new step: saved as v2.
    const fixed: Step[] = [
      first,
      { ...second, input: { ms: 200 } },
      { id: 'bye', tool: 'core.echo', input: { text: 'Hello, {{ input.who }}' }, after: [second.id] },
    ];
    await replaceSpec(page, { steps: fixed });
    await page.getByLabel('Version message').fill('greet someone');
    await page.getByRole('button', { name: 'Save as v2' }).click();
    await page.locator('.saved').filter({ hasText: 'Saved v2.' }).waitFor();
    expect(await page.locator('.cm-server-error').count()).toBe(0);
    await expect.poll(() => page.locator('.latest-version').textContent()).toBe('v2');

    // Compare v1 and v2 side by side: what the API's diff says, marked on both sides.
    await page.getByRole('tab', { name: 'Compare versions' }).click();
    const api = await f.graphql<{
      node: { version: { diff: { added: string[]; removed: string[]; changed: string[] } } };
    }>(
      'query($id: ID!) { node(id: $id) { ... on Plan { version(number: 2) { diff(against: 1) { added removed changed } } } } }',
      { id: planId },
      f.alice,
    );
    expect(api.node.version.diff).toEqual({ added: ['bye'], removed: [], changed: [second.id] });
    const marks = (side: string) =>
      page
        .locator(`.diff-side[aria-label="${side}"] .diff-step`)
        .evaluateAll((steps) => steps.map((s) => [s.getAttribute('data-step'), s.getAttribute('data-change')]));
    await expect
      .poll(() => marks('v2'))
      .toEqual([
        [first.id, 'same'],
        [second.id, 'changed'],
        ['bye', 'added'],
      ]);
    // A changed step says which of its fields changed.
    expect(
      await page
        .locator(`.diff-side[aria-label="v2"] .diff-step[data-step="${second.id}"] .changed-fields`)
        .textContent(),
    ).toBe('input');
    expect(await marks('v1')).toEqual([
      [first.id, 'same'],
      [second.id, 'changed'],
    ]);
    await shoot(page, 'diff');

    // Run with input: one field per input the steps read; the new run's page opens.
    await page.getByRole('tab', { name: 'Run' }).click();
    // One field per input the steps read (the drafted step's and the new one's); JSON is sent as JSON.
    await page.getByLabel('input.who').fill('Ada');
    expect(await page.getByText('Read by bye').count()).toBe(1);
    await page.getByLabel('input.value').fill('{"zone": "eu-west", "n": 2}');
    expect(await page.getByRole('form', { name: 'Run v2' }).getByRole('textbox').count()).toBe(2);
    await shoot(page, 'run-form');
    await page.getByRole('button', { name: 'Run v2' }).click();
    await page.getByRole('heading', { name: 'Run of Greeting v2' }).waitFor();
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/runs/')[1] ?? '');
    const run = await f.graphql<{ node: { input: unknown } }>(RUN_STATUS, { id: runId }, f.alice);
    expect(run.node.input).toEqual({ who: 'Ada', value: { zone: 'eu-west', n: 2 } });
    await expect.poll(() => f.statusOf(runId), { timeout: 30_000 }).toBe('SUCCEEDED');
    // The steps received the input the form sent, through their templates.
    const steps = await f.graphql<{ node: { steps: { stepId: string; input: unknown }[] } }>(
      'query($id: ID!) { node(id: $id) { ... on Execution { steps { stepId input } } } }',
      { id: runId },
      f.alice,
    );
    const inputOf = (id: string) => steps.node.steps.find((s) => s.stepId === id)?.input;
    expect(inputOf('bye')).toEqual({ text: 'Hello, Ada' });
    expect(inputOf(first.id)).toEqual({ key: 'region', value: { zone: 'eu-west', n: 2 } });
    expect(consoleProblems).toEqual([]);
    await page.close();
  }, 120_000);

  it('a viewer reads a version page but cannot save or run; a deep link to a version survives reload', async () => {
    const page = await browser.newPage();
    await openAs(page, f.bob, `/w/acme/plans/${encodeURIComponent(f.flakyPlanId)}/versions/1`);
    await page.reload();
    await page.getByRole('heading', { name: 'Flaky v1' }).waitFor();
    await expect.poll(() => page.locator('.step-node').count()).toBe(3);
    expect(await page.getByRole('button', { name: 'Run v1' }).isDisabled()).toBe(true);
    // Flaky reads input.text: the form asks for it even though Bob cannot start the run.
    await page.getByLabel('input.text').waitFor();
    await page.goto(`${f.server.url}/admin/w/acme/plans/${encodeURIComponent(f.flakyPlanId)}?tab=edit`);
    const editor = page.getByRole('textbox', { name: 'Plan spec (JSON)' });
    await editor.click();
    await page.keyboard.type('zzz');
    expect(await editor.textContent()).not.toContain('zzz');
    expect(await page.getByRole('button', { name: 'Save as v2' }).isDisabled()).toBe(true);
    await page.goto(`${f.server.url}/admin/w/acme/plans/new`);
    expect(await page.getByRole('button', { name: 'Save plan' }).isDisabled()).toBe(true);
    await shoot(page, 'viewer-new');
    await page.close();
  }, 60_000);
});
